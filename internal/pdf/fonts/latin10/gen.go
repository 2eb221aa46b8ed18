//go:build ignore

// gen writes the fpdf font definitions of the three embedded fonts in the
// ISO 8859-16 encoding (Latin-10) with the typographic marks of
// cp1252 (dashes, quotes, ellipsis) in its unused C1 range: a .json with the metrics of the 256
// code points and a .z with the whole font compressed. Run it from this
// directory with `go run gen.go` after changing a font.
package main

import (
	"log"

	"github.com/go-pdf/fpdf"
)

func main() {
	for _, name := range []string{"TitilliumWeb-Regular", "TitilliumWeb-SemiBold", "RobotoMono-Regular"} {
		if err := fpdf.MakeFont("../"+name+".ttf", "latin10.map", ".", nil, true); err != nil {
			log.Fatal(err)
		}
	}
}
