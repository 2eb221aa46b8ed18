package form

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/sportello/sportello/internal/apperr"
)

// ActionKind is what a form page's submit button asks for. Without
// JavaScript every change to the page's shape (another group item, a
// removed file, questions revealed by an answer) is a round trip, so each
// button carries its intent in its value.
type ActionKind int

// The actions. The page's first submit button in tree order must be
// ActionNext (the "form-default-submit" template), because pressing Enter
// in a text field presses the first button: it must never remove an item.
const (
	// ActionNext validates the step and moves on: the default.
	ActionNext ActionKind = iota
	// ActionSave saves the answers as they are and leaves (save and return).
	ActionSave
	// ActionRefresh re-renders the page so that show-if conditions apply.
	ActionRefresh
	// ActionAdd adds an item to the group named by Target.
	ActionAdd
	// ActionRemove removes item Index of the group named by Target.
	ActionRemove
	// ActionRemoveFile removes file Index of the file field named by Target.
	ActionRemoveFile
)

// The labels of the page's own buttons, for the web layer.
const (
	KeyActionNext = "form.action.next"
	KeyActionSave = "form.action.save"
)

// Action is a decoded button press.
type Action struct {
	Kind ActionKind
	// Target is the HTML name of a group or file field: "documenti",
	// "allegati", "documenti[0].copia".
	Target string
	Index  int
}

// ReadAction decodes the ActionName value of a submission; anything it does
// not recognise is ActionNext, which validates everything anyway.
func ReadAction(v url.Values) Action {
	parts := strings.Split(v.Get(ActionName), ":")
	switch {
	case parts[0] == "save" && len(parts) == 1:
		return Action{Kind: ActionSave}
	case parts[0] == "refresh" && len(parts) == 1:
		return Action{Kind: ActionRefresh}
	case parts[0] == "add" && len(parts) == 2 && parts[1] != "":
		return Action{Kind: ActionAdd, Target: parts[1]}
	case (parts[0] == "remove" || parts[0] == "remove-file") && len(parts) == 3 && parts[1] != "":
		i, err := strconv.Atoi(parts[2])
		if err != nil || i < 0 {
			break
		}
		kind := ActionRemove
		if parts[0] == "remove-file" {
			kind = ActionRemoveFile
		}
		return Action{Kind: kind, Target: parts[1], Index: i}
	}
	return Action{Kind: ActionNext}
}

// Apply returns a copy of a changed as act asks: an item added to or removed
// from a group, a file removed. Other actions return the copy unchanged. An
// action the page could not have offered (a full group, an index out of
// range, an unknown target) is an Invalid error.
func (d *Definition) Apply(a Answers, act Action) (Answers, error) {
	out := a.Clone()
	switch act.Kind {
	case ActionAdd, ActionRemove:
		f, ok := d.Field(act.Target)
		if !ok || f.Type != TypeGroup {
			return out, apperr.Errorf(apperr.Invalid, "form: %q is not a group", act.Target)
		}
		v := out[f.ID]
		for len(v.Items) < f.MinItems { // the page shows at least MinItems
			v.Items = append(v.Items, Answers{})
		}
		if act.Kind == ActionAdd {
			if len(v.Items) >= f.MaxItems {
				return out, apperr.Errorf(apperr.Invalid, "form: group %q is full", f.ID)
			}
			v.Items = append(v.Items, Answers{})
		} else {
			if act.Index >= len(v.Items) || len(v.Items) <= f.MinItems {
				return out, apperr.Errorf(apperr.Invalid, "form: group %q: cannot remove item %d", f.ID, act.Index)
			}
			v.Items = slices.Delete(v.Items, act.Index, act.Index+1)
		}
		out[f.ID] = v
	case ActionRemoveFile:
		return out, d.removeFile(out, act)
	}
	return out, nil
}

// removeFile removes a file of a top-level file field or of a file field
// inside a group item ("documenti[0].copia").
func (d *Definition) removeFile(a Answers, act Action) error {
	bad := apperr.Errorf(apperr.Invalid, "form: no file %d in %q", act.Index, act.Target)
	group, rest, inGroup := strings.Cut(act.Target, "[")
	f, ok := d.Field(group)
	if !ok {
		return bad
	}
	remove := func(v Value) (Value, bool) {
		if act.Index >= len(v.Files) {
			return v, false
		}
		v.Files = slices.Delete(v.Files, act.Index, act.Index+1)
		return v, true
	}
	if !inGroup {
		if f.Type != TypeFile {
			return bad
		}
		v, ok := remove(a[f.ID])
		if !ok {
			return bad
		}
		a[f.ID] = v
		return nil
	}
	idx, field, ok := strings.Cut(rest, "].")
	i, err := strconv.Atoi(idx)
	if !ok || err != nil || f.Type != TypeGroup || i < 0 || i >= len(a[f.ID].Items) {
		return bad
	}
	sf := slices.IndexFunc(f.Fields, func(x Field) bool { return x.ID == field && x.Type == TypeFile })
	if sf < 0 {
		return bad
	}
	item := a[f.ID].Items[i]
	v, ok := remove(item[field])
	if !ok {
		return bad
	}
	item[field] = v
	return nil
}

// FileField resolves the HTML name of a file input — a top-level file
// field ("documento") or a file field inside a group item
// ("documenti[0].copia") — to its field and the files a holds there. false
// when the name is no file field of d, or the item does not exist: an
// upload to it is ignored, as a forged name deserves.
func (d *Definition) FileField(name string, a Answers) (*Field, []FileInfo, bool) {
	group, rest, inGroup := strings.Cut(name, "[")
	f, ok := d.Field(group)
	if !ok {
		return nil, nil, false
	}
	if !inGroup {
		if f.Type != TypeFile || f.File == nil {
			return nil, nil, false
		}
		return f, a[f.ID].Files, true
	}
	idx, field, ok := strings.Cut(rest, "].")
	i, err := strconv.Atoi(idx)
	if !ok || err != nil || f.Type != TypeGroup || i < 0 || i >= f.MaxItems || strconv.Itoa(i) != idx {
		return nil, nil, false
	}
	sf := slices.IndexFunc(f.Fields, func(x Field) bool { return x.ID == field && x.Type == TypeFile })
	if sf < 0 || f.Fields[sf].File == nil {
		return nil, nil, false
	}
	var prior []FileInfo
	if items := a[f.ID].Items; i < len(items) {
		prior = items[i][field].Files
	}
	return &f.Fields[sf], prior, true
}

// Uploads lists every file of a, top-level and inside group items, with
// the HTML name of its field, in the definition's order.
func (d *Definition) Uploads(a Answers) []NamedFile {
	var out []NamedFile
	for _, sec := range d.Sections {
		for _, f := range sec.Fields {
			switch f.Type {
			case TypeFile:
				for _, fi := range a[f.ID].Files {
					out = append(out, NamedFile{Field: f.ID, FileInfo: fi})
				}
			case TypeGroup:
				for k, item := range a[f.ID].Items {
					for _, sf := range f.Fields {
						if sf.Type != TypeFile {
							continue
						}
						for _, fi := range item[sf.ID].Files {
							out = append(out, NamedFile{Field: itemName(f.ID, k, sf.ID), FileInfo: fi})
						}
					}
				}
			}
		}
	}
	return out
}

// NamedFile is a file with the HTML name of the field it answers.
type NamedFile struct {
	Field string
	FileInfo
}
