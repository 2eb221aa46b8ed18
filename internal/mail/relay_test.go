package mail_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"io"
	"math/big"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// envelope is what the test relay received in one transaction.
type envelope struct {
	User string
	From string
	To   []string
	Data []byte
}

// relay is a tiny SMTP server on a localhost port, speaking enough of
// RFC 5321 (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), and on demand of
// RFC 3207 (STARTTLS), RFC 8314 (implicit TLS) and RFC 4954 (AUTH PLAIN),
// to receive what go-mail sends. Recipients in reject get a 550, those in
// busy a 451.
type relay struct {
	ln     net.Listener
	reject map[string]bool
	busy   map[string]bool
	// tls, when set, is offered through STARTTLS, or from the first byte
	// when implicit.
	tls      *tls.Config
	implicit bool
	// users, when set, must authenticate (only over TLS).
	users map[string]string
	// stall makes the relay accept connections and never answer.
	stall bool

	mu       sync.Mutex
	received []envelope
	commands []string
}

func newRelay(t *testing.T, configure func(*relay)) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{ln: ln, reject: map[string]bool{}, busy: map[string]bool{}}
	if configure != nil {
		configure(r)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { r.serve(c) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return r
}

func (r *relay) port() int { return r.ln.Addr().(*net.TCPAddr).Port }

func (r *relay) log(verb string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.commands = append(r.commands, verb)
}

func (r *relay) serve(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(patience))
	secure := false
	if r.implicit {
		c, secure = tls.Server(c, r.tls), true
	}
	defer func() { c.Close() }()
	if r.stall {
		_, _ = io.Copy(io.Discard, c)
		return
	}
	tc := textproto.NewConn(c)
	reply := func(format string, args ...any) { _ = tc.PrintfLine(format, args...) }
	reply("220 relay.test ESMTP")
	var env envelope
	for {
		line, err := tc.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		r.log(verb)
		switch {
		case verb == "EHLO" || verb == "HELO":
			ext := []string{"relay.test", "8BITMIME"}
			if r.tls != nil && !secure {
				ext = append(ext, "STARTTLS")
			}
			if r.users != nil && secure {
				ext = append(ext, "AUTH PLAIN")
			}
			for _, e := range ext[:len(ext)-1] {
				reply("250-%s", e)
			}
			reply("250 %s", ext[len(ext)-1])
		case verb == "STARTTLS" && r.tls != nil && !secure:
			reply("220 2.0.0 ready")
			c, secure = tls.Server(c, r.tls), true
			tc = textproto.NewConn(c)
		case verb == "AUTH" && r.users != nil && secure:
			mech, ir, _ := strings.Cut(arg, " ")
			if ir == "" {
				reply("334 ")
				if ir, err = tc.ReadLine(); err != nil {
					return
				}
			}
			b, _ := base64.StdEncoding.DecodeString(ir)
			parts := strings.Split(string(b), "\x00")
			if strings.ToUpper(mech) != "PLAIN" || len(parts) != 3 || r.users[parts[1]] == "" || r.users[parts[1]] != parts[2] {
				reply("535 5.7.8 authentication failed")
				continue
			}
			env.User = parts[1]
			reply("235 2.7.0 authenticated")
		case verb == "MAIL" && r.users != nil && env.User == "":
			reply("530 5.7.0 authentication required")
		case verb == "MAIL":
			env = envelope{User: env.User, From: addrOf(arg)}
			reply("250 2.1.0 ok")
		case verb == "RCPT":
			switch to := addrOf(arg); {
			case r.reject[to]:
				reply("550 5.1.1 <%s>: user unknown", to)
			case r.busy[to]:
				reply("451 4.3.0 try again later")
			default:
				env.To = append(env.To, to)
				reply("250 2.1.5 ok")
			}
		case verb == "DATA":
			reply("354 go ahead")
			data, err := tc.ReadDotBytes()
			if err != nil {
				return
			}
			env.Data = data
			r.mu.Lock()
			r.received = append(r.received, env)
			r.mu.Unlock()
			reply("250 2.0.0 queued")
		case verb == "RSET" || verb == "NOOP":
			reply("250 ok")
		case verb == "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 5.5.2 not implemented")
		}
	}
}

// addrOf takes the address out of "FROM:<a@b> SIZE=1".
func addrOf(arg string) string {
	_, rest, _ := strings.Cut(arg, "<")
	addr, _, _ := strings.Cut(rest, ">")
	return addr
}

func (r *relay) got() ([]envelope, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]envelope(nil), r.received...), append([]string(nil), r.commands...)
}

// selfSigned returns a server configuration for 127.0.0.1 and the pool
// that trusts it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "relay.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}, pool
}
