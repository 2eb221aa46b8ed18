package pratica_test

import (
	"bufio"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/pratica"
	"github.com/sportello/sportello/internal/protocol"
	"github.com/sportello/sportello/internal/tenant"
)

// The storm child's settings, passed through the environment.
const (
	envStormURL   = "PRATICA_STORM_URL"
	envStormEnte  = "PRATICA_STORM_ENTE"
	envStormIDs   = "PRATICA_STORM_IDS" // first-last
	envStormBlobs = "PRATICA_STORM_BLOBS"
)

// TestKillDuringSubmissions is the fault of issue 4: a process submitting
// pratiche from several goroutines is killed with SIGKILL mid-storm. Every
// submission it acknowledged (printed after its commit returned) must be
// there with its protocol number, and the register must be whole: gapless,
// chained, and every number belonging to a submitted pratica.
func TestKillDuringSubmissions(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	url := testdb.URL(t)
	d, err := db.Open(ctx, url, db.Options{ConnectTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Migrate(ctx, time.Now); err != nil {
		t.Fatal(err)
	}
	ente, first, last := stormDrafts(t, d, 3000)
	d.Close()

	blobDir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestStormChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envStormURL+"="+url, fmt.Sprintf("%s=%d", envStormEnte, ente),
		fmt.Sprintf("%s=%d-%d", envStormIDs, first, last), envStormBlobs+"="+blobDir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[pratica.ID]int64{}
	enough := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var id pratica.ID
			var number int64
			if _, err := fmt.Sscanf(sc.Text(), "ACK %d %d", &id, &number); err != nil {
				continue
			}
			acked[id] = number
			if len(acked) == 300 {
				close(enough)
			}
		}
	}()
	select {
	case <-enough:
	case <-time.After(60 * time.Second):
		t.Error("the child acknowledged fewer than 300 submissions in a minute")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	<-done

	d, err = db.Open(ctx, url, db.Options{ConnectTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	blobs, err := blob.NewFS(blobDir)
	if err != nil {
		t.Fatal(err)
	}
	for id, number := range acked {
		p, err := pratica.Get(ctx, d, ente, id)
		if err != nil {
			t.Fatalf("acknowledged pratica %d: %v", id, err)
		}
		if p.State != pratica.Submitted || p.ProtocolNumber != number {
			t.Errorf("acknowledged pratica %d: state %s, number %d, want submitted with %d", id, p.State, p.ProtocolNumber, number)
		}
		// Its receipt is there, or can be issued now from what the
		// submission recorded (what the receipt job does after a crash).
		a, err := pratica.IssueReceipt(ctx, d, blobs, receipt, ente, id, t0)
		if err != nil {
			t.Fatalf("receipt of acknowledged pratica %d: %v", id, err)
		}
		if _, err := blobs.Stat(ctx, blob.Key(a.SHA256)); err != nil {
			t.Errorf("receipt of pratica %d: document %s: %v", id, a.SHA256, err)
		}
	}
	if err := protocol.Verify(ctx, d, ente, 2026); err != nil {
		t.Error(err)
	}
	var submitted int
	if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM pratica WHERE ente_id = $1 AND state <> 'draft'`, ente).Scan(&submitted); err != nil {
		t.Fatal(err)
	}
	entries := len(numbers(t, d, ente, 2026))
	if submitted != entries || submitted < len(acked) {
		t.Errorf("%d pratiche submitted, %d protocol entries, %d acknowledged", submitted, entries, len(acked))
	}
	t.Logf("%s: killed after %d acknowledged submissions; %d committed in all", d.Engine, len(acked), submitted)
}

// stormDrafts creates an ente, a citizen and n drafts, and returns the
// ente and the drafts' first and last id.
func stormDrafts(t *testing.T, d *db.DB, n int) (tenant.ID, pratica.ID, pratica.ID) {
	t.Helper()
	e := &tenant.Ente{Slug: "ala", Name: "Comune di Ala", IstatCode: "022001", Belfiore: "A116", IPACode: "c_a116",
		FiscalCode: "00000000000", Province: "TN", Hosts: []string{"ala.example"},
		Offices: []tenant.Office{{Slug: "anagrafe", Name: "Anagrafe"}}}
	var first, last pratica.ID
	err := d.InTx(ctx, func(tx *sql.Tx) error {
		if err := tenant.Create(ctx, tx, e, t0); err != nil {
			return err
		}
		c, _, err := identity.EnsureCitizen(ctx, tx, e.ID, identity.CitizenInput{FiscalCode: cfMario, GivenName: "Mario", FamilyName: "Rossi"}, t0)
		if err != nil {
			return err
		}
		for i := range n {
			p, err := pratica.CreateDraft(ctx, tx, e.ID, pratica.DraftInput{
				Service: "cambio-residenza", ServiceVersion: 1, Title: "Dichiarazione di residenza", Citizen: c.ID,
				FiledBy: identity.CitizenSubject(c.ID), Office: e.Offices[0].ID, Term: pratica.Term{Days: 30},
			}, t0)
			if err != nil {
				return err
			}
			if i == 0 {
				first = p.ID
			}
			last = p.ID
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return e.ID, first, last
}

// TestStormChild is the process TestKillDuringSubmissions kills: it
// submits the drafts from four goroutines and prints "ACK id number" once
// each commit has returned. Run alone, it skips.
func TestStormChild(t *testing.T) {
	url := os.Getenv(envStormURL)
	if url == "" {
		t.Skip("the child of TestKillDuringSubmissions")
	}
	d, err := db.Open(ctx, url, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	enteID, _ := strconv.ParseInt(os.Getenv(envStormEnte), 10, 64)
	ente := tenant.ID(enteID)
	lo, hi, _ := strings.Cut(os.Getenv(envStormIDs), "-")
	first, _ := strconv.ParseInt(lo, 10, 64)
	last, _ := strconv.ParseInt(hi, 10, 64)
	blobs, err := blob.NewFS(os.Getenv(envStormBlobs))
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.New(calendar.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var citizen int64
	if err := d.QueryRowContext(ctx, `SELECT citizen_id FROM pratica WHERE ente_id = $1 AND id = $2`, ente, first).Scan(&citizen); err != nil {
		t.Fatal(err)
	}
	ids := make(chan pratica.ID)
	go func() {
		for id := first; id <= last; id++ {
			ids <- pratica.ID(id)
		}
		close(ids)
	}()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for id := range ids {
				in := pratica.SubmitInput{IdempotencyKey: fmt.Sprintf("storm-%d", id), Actor: identity.CitizenSubject(identity.CitizenID(citizen)),
					Calendar: cal, EnteName: "Comune di Ala"}
				var p *pratica.Pratica
				err := d.InTx(ctx, func(tx *sql.Tx) error {
					var err error
					p, err = pratica.Submit(ctx, tx, ente, id, in, t0)
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "ACK %d %d\n", p.ID, p.ProtocolNumber)
				mu.Unlock()
				// Then the receipt, as the web flow does: a kill here
				// leaves it to be issued later.
				if _, err := pratica.IssueReceipt(ctx, d, blobs, receipt, ente, id, t0); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
