package form

import (
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
)

func TestReadAction(t *testing.T) {
	tests := []struct {
		in   string
		want Action
	}{
		{"", Action{Kind: ActionNext}},
		{"next", Action{Kind: ActionNext}},
		{"save", Action{Kind: ActionSave}},
		{"refresh", Action{Kind: ActionRefresh}},
		{"add:persone", Action{Kind: ActionAdd, Target: "persone"}},
		{"remove:persone:2", Action{Kind: ActionRemove, Target: "persone", Index: 2}},
		{"remove-file:persone[0].documento:1", Action{Kind: ActionRemoveFile, Target: "persone[0].documento", Index: 1}},
		{"remove:persone:-1", Action{Kind: ActionNext}},
		{"remove:persone:x", Action{Kind: ActionNext}},
		{"remove:persone", Action{Kind: ActionNext}},
		{"add:", Action{Kind: ActionNext}},
		{"save:1", Action{Kind: ActionNext}},
		{"delete-everything", Action{Kind: ActionNext}},
	}
	for _, tc := range tests {
		got := ReadAction(url.Values{ActionName: {tc.in}})
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ReadAction(%q) mismatch (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestApply(t *testing.T) {
	d := load(t, "testdata/all-types.json")
	pdf := func(name string) FileInfo { return FileInfo{Name: name, Type: "application/pdf"} }
	base := Answers{
		"persone":  {Items: []Answers{{"nome": {Text: "Anna"}}, {"nome": {Text: "Bruno"}, "documento": {Files: []FileInfo{pdf("b1"), pdf("b2")}}}}},
		"allegati": {Files: []FileInfo{pdf("a1"), pdf("a2")}},
	}
	tests := []struct {
		name    string
		in      Answers
		act     Action
		want    Answers
		invalid bool
	}{
		{"next changes nothing", base, Action{Kind: ActionNext}, base, false},
		{"add", base, Action{Kind: ActionAdd, Target: "persone"},
			Answers{"persone": {Items: []Answers{base["persone"].Items[0], base["persone"].Items[1], {}}}, "allegati": base["allegati"]}, false},
		{"add to an empty group pads to min_items first", Answers{}, Action{Kind: ActionAdd, Target: "persone"},
			Answers{"persone": {Items: []Answers{{}, {}}}}, false},
		{"add to a full group", Answers{"persone": {Items: []Answers{{}, {}, {}}}}, Action{Kind: ActionAdd, Target: "persone"}, nil, true},
		{"remove", base, Action{Kind: ActionRemove, Target: "persone", Index: 0},
			Answers{"persone": {Items: []Answers{base["persone"].Items[1]}}, "allegati": base["allegati"]}, false},
		{"remove below min_items", Answers{"persone": {Items: []Answers{{}}}}, Action{Kind: ActionRemove, Target: "persone", Index: 0}, nil, true},
		{"remove out of range", base, Action{Kind: ActionRemove, Target: "persone", Index: 5}, nil, true},
		{"remove from a non-group", base, Action{Kind: ActionRemove, Target: "allegati", Index: 0}, nil, true},
		{"add to an unknown field", base, Action{Kind: ActionAdd, Target: "nessuno"}, nil, true},
		{"remove a file", base, Action{Kind: ActionRemoveFile, Target: "allegati", Index: 0},
			Answers{"persone": base["persone"], "allegati": {Files: []FileInfo{pdf("a2")}}}, false},
		{"remove a file in a group item", base, Action{Kind: ActionRemoveFile, Target: "persone[1].documento", Index: 1},
			Answers{"persone": {Items: []Answers{base["persone"].Items[0], {"nome": {Text: "Bruno"}, "documento": {Files: []FileInfo{pdf("b1")}}}}}, "allegati": base["allegati"]}, false},
		{"remove a missing file", base, Action{Kind: ActionRemoveFile, Target: "allegati", Index: 2}, nil, true},
		{"remove a file of a non-file field", base, Action{Kind: ActionRemoveFile, Target: "persone[0].nome", Index: 0}, nil, true},
		{"remove a file of a missing item", base, Action{Kind: ActionRemoveFile, Target: "persone[7].documento", Index: 0}, nil, true},
		{"remove a file with a bad path", base, Action{Kind: ActionRemoveFile, Target: "persone[x", Index: 0}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.in.Clone()
			got, err := d.Apply(tc.in, tc.act)
			if tc.invalid {
				if !apperr.Is(err, apperr.Invalid) {
					t.Errorf("Apply() error = %v, want Invalid", err)
				}
			} else if err != nil {
				t.Fatalf("Apply(): %v", err)
			} else if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Apply() mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, tc.in); diff != "" {
				t.Errorf("Apply() modified its input (-before +after):\n%s", diff)
			}
		})
	}
}

// TestAddRemoveRoundTrip walks the no-JavaScript journey: submit with
// "Aggiungi", re-render, fill the new item, remove the first one.
func TestAddRemoveRoundTrip(t *testing.T) {
	d := load(t, "testdata/all-types.json")
	tr := translator(t, "it")
	values := baseline()
	values.Set(ActionName, "add:persone")
	a, _ := d.Parse(Submission{Values: values, Files: baselineFiles(), Today: today})
	a, err := d.Apply(a, ReadAction(values))
	if err != nil {
		t.Fatal(err)
	}
	// The page now shows two items; the citizen fills the second and
	// removes the first.
	v := d.View(a, nil, tr, "it")
	group := v.Sections[1].Fields[11]
	if group.ID != "persone" || group.ItemsCount != 2 || group.Items[0].Remove == nil {
		t.Fatalf("group after add: %+v", group)
	}
	values = d.Encode(a)
	values.Set("persone[1].nome", "Bruno")
	values.Set(ActionName, group.Items[0].Remove.Value)
	a, _ = d.Parse(Submission{Values: values, Files: baselineFiles(), Prior: a, Today: today})
	a, err = d.Apply(a, ReadAction(values))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Answers{{"nome": {Text: "Bruno"}}}, a["persone"].Items); diff != "" {
		t.Errorf("items mismatch (-want +got):\n%s", diff)
	}
}

func TestSteps(t *testing.T) {
	access := load(t, "definitions/accesso-agli-atti.json")
	if diff := cmp.Diff(AllSteps, access.Steps()); diff != "" {
		t.Errorf("Steps() mismatch (-want +got):\n%s", diff)
	}
	onlyService := &Definition{Sections: []Section{{ID: "s", Step: "service"}}}
	if diff := cmp.Diff([]Step{StepPrivacy, StepService, StepSummary, StepSend}, onlyService.Steps()); diff != "" {
		t.Errorf("Steps() without general data mismatch (-want +got):\n%s", diff)
	}
	for _, s := range AllSteps {
		if got, ok := ParseStep(s.Slug()); !ok || got != s {
			t.Errorf("ParseStep(%q) = %v, %v", s.Slug(), got, ok)
		}
	}
	if _, ok := ParseStep("pagamento"); ok || Step(9).Key() != "" {
		t.Error("unknown steps accepted")
	}
	if got := len(access.ForStep(StepGeneral).Sections); got != 1 {
		t.Errorf("ForStep(general) has %d sections", got)
	}

	tr := translator(t, "it")
	url := func(s Step) string { return "/p/" + s.Slug() }
	// Back on the general data after reaching the summary: every step up to
	// the summary is a link, the current one is not.
	v := Steps{Flow: AllSteps, Current: StepGeneral, Reached: StepSummary}.View(tr, url)
	want := StepsView{Label: "Passaggi della richiesta", Progress: "Passo 2 di 5", Items: []StepItem{
		{Number: 1, Label: "Informativa sulla privacy", URL: "/p/privacy", Done: true, State: "completato"},
		{Number: 2, Label: "Dati generali", Current: true, State: "passo attuale"},
		{Number: 3, Label: "Dati del servizio", URL: "/p/dati-servizio", Done: true, State: "completato"},
		{Number: 4, Label: "Riepilogo", URL: "/p/riepilogo"},
		{Number: 5, Label: "Invio"},
	}}
	if diff := cmp.Diff(want, v); diff != "" {
		t.Errorf("Steps.View mismatch (-want +got):\n%s", diff)
	}
	// At the first step nothing is reachable but the step itself.
	v = Steps{Flow: AllSteps, Current: StepPrivacy, Reached: StepPrivacy}.View(tr, url)
	for _, it := range v.Items {
		if it.URL != "" || it.Done {
			t.Errorf("first visit: %+v", it)
		}
	}
}

// TestFileField resolves file inputs' names, top-level and inside group
// items, and refuses everything else.
func TestFileField(t *testing.T) {
	d := load(t, "testdata/all-types.json")
	pdf := func(name string) FileInfo { return FileInfo{Name: name, Type: "application/pdf"} }
	a := Answers{
		"persone":  {Items: []Answers{{"nome": {Text: "Anna"}}, {"nome": {Text: "Bruno"}, "documento": {Files: []FileInfo{pdf("b1")}}}}},
		"allegati": {Files: []FileInfo{pdf("a1")}},
	}
	tests := []struct {
		name      string
		field     string
		prior     []FileInfo
		wantFound bool
	}{
		{"allegati", "allegati", []FileInfo{pdf("a1")}, true},
		{"persone[1].documento", "documento", []FileInfo{pdf("b1")}, true},
		{"persone[0].documento", "documento", nil, true},
		{"persone[2].documento", "documento", nil, true}, // an item added in the same request
		{"persone[3].documento", "", nil, false},         // beyond max_items
		{"persone[01].documento", "", nil, false},
		{"persone[-1].documento", "", nil, false},
		{"persone[1].nome", "", nil, false},
		{"persone", "", nil, false},
		{"nome", "", nil, false},
		{"nessuno", "", nil, false},
		{"allegati[0].x", "", nil, false},
	}
	for _, tc := range tests {
		f, prior, ok := d.FileField(tc.name, a)
		if ok != tc.wantFound {
			t.Errorf("FileField(%q) found = %v, want %v", tc.name, ok, tc.wantFound)
			continue
		}
		if !ok {
			continue
		}
		if f.ID != tc.field {
			t.Errorf("FileField(%q) = field %q, want %q", tc.name, f.ID, tc.field)
		}
		if diff := cmp.Diff(tc.prior, prior); diff != "" {
			t.Errorf("FileField(%q) prior files (-want +got):\n%s", tc.name, diff)
		}
	}
	want := []NamedFile{{"persone[1].documento", pdf("b1")}, {"allegati", pdf("a1")}} // the definition's order
	if diff := cmp.Diff(want, d.Uploads(a)); diff != "" {
		t.Errorf("Uploads (-want +got):\n%s", diff)
	}
}
