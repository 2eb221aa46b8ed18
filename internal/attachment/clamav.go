package attachment

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// ClamAV scans files with a clamd daemon over TCP, using its INSTREAM
// command: the file is streamed in chunks, so neither side needs it on a
// shared disk.
type ClamAV struct {
	// Addr is clamd's TCP socket, "127.0.0.1:3310".
	Addr string
	// Timeout bounds a whole scan, connection included; 0 means 30 s.
	Timeout time.Duration
}

var _ Scanner = ClamAV{}

// clamChunk is the size of a chunk sent to clamd, length prefix included:
// one pooled copy buffer. (clamd's StreamMaxLength, 25 MB by default,
// counts the whole stream, not the chunks.)
const clamChunk = 32 << 10

// Scan streams r to clamd and returns the signature it found, or "" when
// it answers OK. A file larger than clamd's StreamMaxLength is an error
// (clamd answers "INSTREAM size limit exceeded"), so the rule's MaxBytes
// must not exceed it.
func (c ClamAV) Scan(ctx context.Context, r io.Reader) (string, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.Addr)
	if err != nil {
		return "", fmt.Errorf("clamd: %w", err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		return "", fmt.Errorf("clamd: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()

	sendErr := send(conn, r)
	if sendErr != nil {
		// clamd may have refused the stream (too long) and said why
		// before closing; wait briefly for that, not for the deadline.
		conn.SetReadDeadline(time.Now().Add(time.Second))
	}
	reply, readErr := bufio.NewReaderSize(conn, 512).ReadString(0)
	reply = strings.TrimSpace(strings.TrimRight(reply, "\x00"))
	switch {
	case readErr != nil && reply == "":
		if sendErr != nil {
			return "", fmt.Errorf("clamd: send: %w", sendErr)
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("clamd: %w", ctx.Err())
		}
		return "", fmt.Errorf("clamd: read reply: %w", readErr)
	case reply == "stream: OK":
		if sendErr != nil {
			return "", fmt.Errorf("clamd: send: %w", sendErr) // OK for a stream cut short means nothing
		}
		return "", nil
	case strings.HasPrefix(reply, "stream: ") && strings.HasSuffix(reply, " FOUND"):
		return strings.TrimSuffix(strings.TrimPrefix(reply, "stream: "), " FOUND"), nil
	}
	return "", fmt.Errorf("clamd: unexpected reply %q", reply)
}

// send writes the INSTREAM command, r in length-prefixed chunks, and the
// zero-length chunk that ends the stream.
func send(w io.Writer, r io.Reader) error {
	if _, err := io.WriteString(w, "zINSTREAM\x00"); err != nil {
		return err
	}
	buf := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(buf)
	chunk := (*buf)[:clamChunk]
	for {
		n, err := io.ReadFull(r, chunk[4:])
		if n > 0 {
			binary.BigEndian.PutUint32(chunk[:4], uint32(n))
			if _, werr := w.Write(chunk[:4+n]); werr != nil {
				return werr
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	_, err := w.Write([]byte{0, 0, 0, 0})
	return err
}
