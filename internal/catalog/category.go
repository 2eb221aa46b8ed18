// Package catalog is the service catalogue of an ente. This file holds the
// fixed list of service categories of the Modello Comuni; the services
// themselves come with the catalogue.
package catalog

// Category is one of the fifteen service categories every comune's
// catalogue uses, in the model's order. Its Slug appears in URLs; its
// name is the locale key "category.<slug>".
type Category struct {
	Slug string
	// Icon names a Bootstrap Italia sprite (without the "it-" prefix).
	Icon string
}

// Categories lists the fifteen categories of the Modello Comuni, in order.
var Categories = []Category{
	{"educazione-e-formazione", "pencil"},
	{"salute-benessere-e-assistenza", "plus-circle"},
	{"vita-lavorativa", "presentation"},
	{"mobilita-e-trasporti", "car"},
	{"catasto-e-urbanistica", "map-marker"},
	{"anagrafe-e-stato-civile", "user"},
	{"turismo", "camera"},
	{"giustizia-e-sicurezza-pubblica", "key"},
	{"tributi-finanze-e-contravvenzioni", "card"},
	{"cultura-e-tempo-libero", "horn"},
	{"ambiente", "flag"},
	{"imprese-e-commercio", "settings"},
	{"autorizzazioni", "check-circle"},
	{"appalti-pubblici", "file"},
	{"agricoltura-e-pesca", "star-outline"},
}

// CategoryBySlug finds a category by its URL slug.
func CategoryBySlug(slug string) (Category, bool) {
	for _, c := range Categories {
		if c.Slug == slug {
			return c, true
		}
	}
	return Category{}, false
}
