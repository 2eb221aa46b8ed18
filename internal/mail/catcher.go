package mail

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Catcher is the demo's Sender: it delivers nothing, so a demo never writes
// to a real mailbox, and the worker records the message as sent "via
// catcher", which is what internal/sim/mailcatcher lists. It still builds
// the MIME message that SMTP would send, so that a message the relay could
// not take fails in the demo too.
type Catcher struct{}

// catcherFrom stands in for the relay's address; .invalid never resolves.
const catcherFrom = "noreply@sportello.invalid"

// Via names this Sender in the mail.via column.
func (Catcher) Via() string { return "catcher" }

// Send composes m and throws it away.
func (Catcher) Send(ctx context.Context, from string, m Message) error {
	msg, err := compose(from, catcherFrom, m, time.Now())
	if err != nil {
		return err
	}
	if _, err := msg.WriteTo(io.Discard); err != nil {
		return fmt.Errorf("mail: catcher: %w", err)
	}
	return ctx.Err()
}
