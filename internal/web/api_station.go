package web

import (
	"net/http"

	"github.com/sportello/sportello/internal/apperr"
)

// stationMaxBody caps a SOAP request to the station: a receipt with five
// transfers each carrying a marca da bollo is a few tens of KB.
const stationMaxBody = 2 << 20

// stationServe hands the Node's SOAP request to the own station, which
// answers every outcome itself (OK, KO with a PAA fault, a SOAP Fault).
func (s *Server) stationServe(w http.ResponseWriter, r *http.Request) error {
	if s.opt.Station == nil {
		return apperr.New(apperr.NotFound, "")
	}
	s.opt.Station.ServeHTTP(w, r)
	return nil
}
