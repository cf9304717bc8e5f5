package dicomweb

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"yigong/server/auth"
	dicomsvc "yigong/server/dicom"
)

// handler serves the DICOMweb routes.
type handler struct {
	svc func() *dicomsvc.Service
	log *slog.Logger
}

// Options configure the DICOMweb routes.
type Options struct {
	// Service returns the running DICOM service (nil while it is not
	// running: 503).
	Service func() *dicomsvc.Service
	// Log receives the routes' warnings.
	Log *slog.Logger
	// AllowedOrigins are the browser origins (scheme://host[:port]) that
	// may call DICOMweb, such as a web viewer's: the hub's CORS allowlist
	// (security.cors). Other origins get no CORS headers, and their
	// preflights 403.
	AllowedOrigins []string
}

// Register adds the DICOMweb routes to g (mounted at /dicomweb).
func Register(g *echo.Group, opts Options) {
	h := &handler{svc: opts.Service, log: opts.Log}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	g.Use(cors(opts.AllowedOrigins))
	g.OPTIONS("/*", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })

	// QIDO-RS (PS3.18 §10.6).
	g.GET("/studies", h.qido(levelStudy))
	g.GET("/series", h.qido(levelSeries))
	g.GET("/instances", h.qido(levelImage))
	g.GET("/studies/:study/series", h.qido(levelSeries))
	g.GET("/studies/:study/instances", h.qido(levelImage))
	g.GET("/studies/:study/series/:series/instances", h.qido(levelImage))

	// WADO-RS (PS3.18 §10.4).
	g.GET("/studies/:study", h.retrieve(levelStudy))
	g.GET("/studies/:study/series/:series", h.retrieve(levelSeries))
	g.GET("/studies/:study/series/:series/instances/:instance", h.retrieve(levelImage))
	g.GET("/studies/:study/metadata", h.metadata(levelStudy))
	g.GET("/studies/:study/series/:series/metadata", h.metadata(levelSeries))
	g.GET("/studies/:study/series/:series/instances/:instance/metadata", h.metadata(levelImage))
	g.GET("/studies/:study/series/:series/instances/:instance/frames/:frames", h.frames)
	g.GET("/studies/:study/series/:series/instances/:instance/bulk/:tag", h.bulk)
	g.GET("/studies/:study/series/:series/instances/:instance/rendered", h.rendered(false))
	g.GET("/studies/:study/series/:series/instances/:instance/thumbnail", h.rendered(true))
	g.GET("/studies/:study/series/:series/instances/:instance/frames/:frames/rendered", h.rendered(false))

	// STOW-RS (PS3.18 §10.5).
	g.POST("/studies", h.stow)
	g.POST("/studies/:study", h.stow)

	// WADO-URI (PS3.18 §9).
	g.GET("/wado", h.wadoURI)
}

// cors lets browser viewers (OHIF) from the allowed origins call the API
// from another page (auth.CORS).
func cors(allowed []string) echo.MiddlewareFunc {
	return auth.CORS{Origins: allowed, Methods: "GET, POST, OPTIONS", AllowHeaders: "Accept, Authorization, Content-Type",
		Expose: "Content-Type, Content-Length, Content-Location, Warning"}.Middleware()
}

// service returns the running service or answers 503.
func (h *handler) service() (*dicomsvc.Service, error) {
	s := h.svc()
	if s == nil {
		return nil, echo.NewHTTPError(http.StatusServiceUnavailable, "dicomweb: the DICOM service is not running")
	}
	return s, nil
}

// scope returns the institution whose studies the caller may see ("" for
// all): an authenticated caller's institution unless the service lets it
// see every institution (its own hub's, or one configured to); local
// development mode sees all.
func scope(c echo.Context, svc *dicomsvc.Service) string {
	p := auth.FromContext(c.Request().Context())
	if p == nil || p.Kind == auth.KindDev {
		return ""
	}
	return svc.Scope(p.Institution)
}

// base returns the absolute URL of /dicomweb for this request.
func base(c echo.Context) string {
	r := c.Request()
	scheme := c.Scheme()
	p := r.URL.Path
	if i := strings.Index(p, "/dicomweb"); i >= 0 {
		p = p[:i+len("/dicomweb")]
	}
	return scheme + "://" + r.Host + p
}
