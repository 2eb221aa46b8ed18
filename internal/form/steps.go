package form

import "slices"

// Step is one stage of the Modello Comuni online-service flow (Informativa
// privacy → Dati generali → Dati del servizio → Riepilogo → Invio), whose
// navigable breadcrumb criterion C.SE.1.8 asks for.
type Step int

// The steps, in flow order.
const (
	StepPrivacy Step = iota + 1
	StepGeneral
	StepService
	StepSummary
	StepSend
)

// AllSteps lists the five steps in order.
var AllSteps = []Step{StepPrivacy, StepGeneral, StepService, StepSummary, StepSend}

var stepSlugs = map[Step]string{
	StepPrivacy: "privacy",
	StepGeneral: "dati-generali",
	StepService: "dati-servizio",
	StepSummary: "riepilogo",
	StepSend:    "invio",
}

// Slug returns the step's URL segment, e.g. "dati-generali".
func (s Step) Slug() string { return stepSlugs[s] }

// Key returns the locale key of the step's label.
func (s Step) Key() string {
	if slug, ok := stepSlugs[s]; ok {
		return "form.step." + slug
	}
	return ""
}

// ParseStep returns the step a URL segment names.
func ParseStep(slug string) (Step, bool) {
	for s, v := range stepSlugs {
		if v == slug {
			return s, true
		}
	}
	return 0, false
}

// Steps returns the steps of this form's flow: a form without general-data
// sections skips that step, one without service-data sections skips the
// other (the "vantaggi economici" flow), so that the stepper never shows an
// empty page.
func (d *Definition) Steps() []Step {
	has := map[Step]bool{}
	for i := range d.Sections {
		has[d.Sections[i].stepOf()] = true
	}
	return slices.DeleteFunc(slices.Clone(AllSteps), func(s Step) bool {
		return (s == StepGeneral || s == StepService) && !has[s]
	})
}

// Steps is where a citizen is in a form's flow: the flow's steps, the one
// shown, and the furthest one reached (the citizen may go back to any step
// up to it, never skip ahead).
type Steps struct {
	Flow    []Step
	Current Step
	Reached Step
}

// StepsView is what the "form-steps" template renders.
type StepsView struct {
	// Label names the navigation landmark.
	Label string
	// Progress is "Passo 2 di 5".
	Progress string
	Items    []StepItem
}

// StepItem is one step of the stepper.
type StepItem struct {
	Number int
	Label  string
	// URL is set for the steps the citizen may go back to.
	URL     string
	Done    bool
	Current bool
	// State is the visually hidden text saying the step is done or current.
	State string
}

// View resolves the stepper's text; url gives the address of a step's page.
func (s Steps) View(t func(key string, args ...any) string, url func(Step) string) StepsView {
	v := StepsView{Label: t("form.steps.label")}
	reached := max(slices.Index(s.Flow, s.Reached), slices.Index(s.Flow, s.Current))
	for i, st := range s.Flow {
		it := StepItem{Number: i + 1, Label: t(st.Key()), Current: st == s.Current}
		switch {
		case it.Current:
			it.State = t("form.steps.current")
			v.Progress = t("form.steps.progress", i+1, len(s.Flow))
		case i < reached:
			it.Done, it.URL, it.State = true, url(st), t("form.steps.done")
		case i == reached:
			it.URL = url(st)
		}
		v.Items = append(v.Items, it)
	}
	return v
}
