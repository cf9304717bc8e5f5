package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
	"yigong/server/auth"
	empisvc "yigong/server/empi"
	"yigong/server/jobs"
)

// RelinkJob is the kind of the EMPI relink jobs.
const RelinkJob = "empi-relink"

// newJobs builds the registry of the hub's long-running jobs (reindex,
// EMPI relink). Its jobs run under their own context, not a request's, so
// they outlive the request that started them.
func (s *Server) newJobs() *jobs.Registry {
	return jobs.New(context.Background(), jobs.Options{Log: s.log.With("component", "jobs")})
}

// jobRoutes registers the operators' job API (admin: the system
// administrator, or the development principal; see routeAccess):
//
//	GET    /admin/jobs             every job the hub remembers, newest first
//	GET    /admin/jobs/{id}        one job: state, phase, done/total, rate, ETA, result or error
//	DELETE /admin/jobs/{id}        cancel it (202; the state becomes cancelled when it stops)
//	POST   /admin/empi/relink      start an EMPI relink job (202, Location /admin/jobs/{id}; 409 if one runs)
//
// Reindex jobs are started and polled over FHIR ([base]/$reindex,
// fhirapi.RegisterReindex) and appear here too. Starting and cancelling are
// recorded in the audit trail like every admin request (auditMiddleware).
func (s *Server) jobRoutes(e *echo.Echo, reg *jobs.Registry) {
	g := e.Group("/admin/jobs")
	g.GET("", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]any{"jobs": reg.List()})
	})
	g.GET("/:id", func(c echo.Context) error {
		snap, err := reg.Get(c.Param("id"))
		if err != nil {
			return fhir.Errorf(fhir.KindNotFound, "%v", err)
		}
		return c.JSON(http.StatusOK, snap)
	})
	g.DELETE("/:id", func(c echo.Context) error {
		snap, err := reg.Cancel(c.Param("id"))
		if err != nil {
			return fhir.Errorf(fhir.KindNotFound, "%v", err)
		}
		return c.JSON(http.StatusAccepted, snap)
	})
	e.POST("/admin/empi/relink", func(c echo.Context) error { return s.startRelink(c, reg) })
}

// relinker is what the relink job needs of the EMPI service.
type relinker interface {
	Relink(ctx context.Context, workers int, progress func(empisvc.Progress)) (*empisvc.RelinkStats, error)
}

// startRelink serves POST /admin/empi/relink[?workers=N]: a job running
// the EMPI's Relink on the hub's own EMPI service, which pauses its change
// consumer meanwhile (empi.Service.Relink).
func (s *Server) startRelink(c echo.Context, reg *jobs.Registry) error {
	var svc relinker
	if s.empi != nil {
		svc = s.empi
	}
	if svc == nil {
		return fhir.Errorf(fhir.KindNotFound, "empi: the EMPI is not enabled (empi.enabled)")
	}
	workers := 0
	if v := c.QueryParam("workers"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 64 {
			return fhir.Errorf(fhir.KindInvalid, "empi: relink: workers %q: want a number from 0 (one per CPU) to 64", v)
		}
		workers = n
	}
	spec := jobs.Spec{Kind: RelinkJob, Detail: "every current Patient"}
	if p := auth.FromContext(c.Request().Context()); p != nil {
		spec.Owner = p.Subject
	}
	snap, err := reg.Start(spec, func(ctx context.Context, report func(jobs.Progress)) (any, error) {
		st, err := svc.Relink(ctx, workers, func(p empisvc.Progress) {
			report(jobs.Progress{Phase: p.Phase, Done: p.Done, Total: p.Total})
		})
		if err != nil {
			return nil, err
		}
		return relinkResult(st), nil
	})
	var busy *jobs.BusyError
	switch {
	case errors.As(err, &busy):
		c.Response().Header().Set("Content-Location", "/admin/jobs/"+busy.Running.ID)
		return c.JSON(http.StatusConflict, map[string]any{"error": busy.Error(), "job": busy.Running})
	case err != nil:
		return err
	}
	loc := "/admin/jobs/" + snap.ID
	c.Response().Header().Set("Content-Location", loc)
	return c.JSON(http.StatusAccepted, snap)
}

// relinkResult is a relink's summary as the job API shows it.
func relinkResult(st *empisvc.RelinkStats) map[string]any {
	return map[string]any{
		"patients": st.Patients, "links": st.Links, "clusters": st.Clusters, "created": st.Created,
		"updated": st.Updated, "reviews": st.Reviews, "conflicts": st.Conflicts,
		"load_ms": st.Load.Milliseconds(), "match_ms": st.Match.Milliseconds(), "write_ms": st.Write.Milliseconds(),
	}
}
