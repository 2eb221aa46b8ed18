package attachment

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sportello/sportello/internal/apperr"
)

// Reason says why an upload was refused, so that the web layer can pick the
// message (from its locale files) next to the file field.
type Reason int

// The reasons Store and Rule.CheckCount give.
const (
	// TooBig: the file has more than Limit bytes.
	TooBig Reason = iota + 1
	// TooMany: the field already has Limit files.
	TooMany
	// Empty: the file has no content.
	Empty
	// WrongType: the content is not an accepted type, or not the type
	// its extension announces (a ZIP called .pdf), or a p7m whose signed
	// content is not accepted.
	WrongType
	// BadName: the name tries to climb out of a directory ("../").
	BadName
	// Infected: the virus scanner found Signature in the file.
	Infected
)

var reasonNames = map[Reason]string{
	TooBig:    "too big",
	TooMany:   "too many files",
	Empty:     "empty",
	WrongType: "wrong type",
	BadName:   "bad name",
	Infected:  "infected",
}

// String returns the reason's English name, for logs.
func (r Reason) String() string { return reasonNames[r] }

// Error is a refused upload. It unwraps to an apperr.Error (TooLarge for
// TooBig, Invalid otherwise) whose public text is an Italian sentence for
// the citizen, so that the usual error plumbing works; a page that shows
// the message next to the field reads Reason and the numbers instead.
type Error struct {
	Reason Reason
	// Name is the sanitised file name, to say which file was refused.
	Name string
	// Limit is MaxBytes for TooBig and MaxCount for TooMany.
	Limit int64
	// Got is the bytes read for TooBig (Limit+1: reading stops there) and
	// the number of files for TooMany.
	Got int64
	// Type is, for WrongType, the type found in the content (or the
	// extension, when the name alone was enough to refuse).
	Type string
	// Signature is the malware the scanner named, for Infected.
	Signature string
}

// Error describes the refusal for logs, without the file's name, which may
// carry personal data.
func (e *Error) Error() string {
	s := "attachment: " + e.Reason.String()
	switch e.Reason {
	case TooBig:
		s += fmt.Sprintf(": more than %d bytes", e.Limit)
	case TooMany:
		s += fmt.Sprintf(": %d files, at most %d", e.Got, e.Limit)
	case WrongType:
		s += ": " + e.Type
	case Infected:
		s += ": " + e.Signature
	}
	return s
}

// Unwrap gives the refusal its apperr kind and citizen's message.
func (e *Error) Unwrap() error {
	kind := apperr.Invalid
	if e.Reason == TooBig {
		kind = apperr.TooLarge
	}
	return &apperr.Error{Kind: kind, Public: e.Message()}
}

// Message is the refusal in Italian, written for the citizen; the locale
// keys form.error.file.size, .type and .count say the same for the first
// three reasons.
func (e *Error) Message() string {
	name := "«" + e.Name + "»"
	switch e.Reason {
	case TooBig:
		return "Il file " + name + " è troppo grande: la dimensione massima è " + SizeLabel(e.Limit) + "."
	case TooMany:
		return "Il numero massimo di file che puoi allegare è " + strconv.FormatInt(e.Limit, 10) + "."
	case Empty:
		return "Il file " + name + " è vuoto: controlla di aver scelto il documento giusto."
	case WrongType:
		return "Il file " + name + " non è di un tipo accettato, o il suo contenuto non corrisponde all'estensione del nome."
	case BadName:
		return "Il nome del file non è valido: rinominalo e riprova."
	case Infected:
		return "Il file " + name + " contiene un virus e non è stato accettato."
	}
	return "Il file " + name + " non è stato accettato."
}

// unavailableMessage is what the citizen reads when the virus scanner could
// not be reached: the file is refused, not stored unscanned.
const unavailableMessage = "Non è stato possibile controllare il file in questo momento: riprova tra qualche minuto."

// SizeLabel writes a size limit as the form's pages do, "5 MB", "1,5 MB" or
// "300 KB", so that the message and the field's hint agree.
func SizeLabel(n int64) string {
	const kb, mb = 1 << 10, 1 << 20
	switch {
	case n >= mb && n%mb == 0:
		return strconv.FormatInt(n/mb, 10) + " MB"
	case n >= mb:
		return strings.Replace(strconv.FormatFloat(float64(n)/mb, 'f', 1, 64), ".", ",", 1) + " MB"
	}
	return strconv.FormatInt((n+kb-1)/kb, 10) + " KB"
}
