package fhirapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
	"yigong/fhir/store"
	"yigong/server/auth"
	"yigong/server/jobs"
)

// ReindexJob is the kind of the reindex jobs in the job registry.
const ReindexJob = "reindex"

// How many resources one reindex transaction re-indexes unless the request
// says otherwise (batch=N). A job's batches are smaller: on SQLite (2 cores,
// 11 k synthea resources) 100 costs no more CPU than 500 but holds the
// writer ~0.2 s instead of ~1 s, so ingest meanwhile waits less; 50 costs
// 40% more CPU.
const (
	reindexBatch    = 500 // the synchronous form
	reindexJobBatch = 100
)

// RegisterReindex adds the reindex operation to g (the FHIR base); reg runs
// its jobs and is shared with the admin job API (/admin/jobs):
//
//	POST   [base]/$reindex[?_type=A,B][&batch=N]   with Prefer: respond-async (batch default 100)
//	GET    [base]/$reindex/{id}                    job status
//	DELETE [base]/$reindex/{id}                    cancel the job
//	POST   [base]/$reindex[?_type=A,B][&_cursor=c] without Prefer: one batch (default 500)
//	GET    [base]/$reindex[?_type=A,B]             how many resources a reindex visits
//
// The asynchronous form follows the FHIR asynchronous request pattern
// (https://hl7.org/fhir/R4/async.html, RFC 7240): the server answers 202
// Accepted with Content-Location naming the status URL, and a job re-indexes
// every current resource of the types (all when _type is absent) with the
// current search parameters, a SearchParameter created over REST included.
// It loops store.Reindexer batches, each one short write transaction, so
// ingest is never blocked for long. The status URL answers 202 with
// X-Progress ("reindex 1500/4200 (36%), 900/s, 3s left") and a Parameters
// resource describing the job while it runs, 200 with that Parameters
// (state done, done = total) once finished, 500 with an OperationOutcome if
// it failed, and 404 once it was cancelled (DELETE answers 202). A second
// start while a reindex job runs answers 409 with Content-Location naming
// the running job.
//
// The synchronous form (no Prefer: respond-async) is the older protocol,
// kept because the RFC 7240 pattern is opt-in: it re-indexes one batch and
// answers a Parameters with done (this batch), total and the cursor of the
// next batch ("" when finished); a client calls it again with _cursor until
// the cursor is empty.
//
// Every route needs a backend (system/) client whose scopes grant update
// (start, cancel) or search (status) on every type, or the development
// principal.
func (a *API) RegisterReindex(g *echo.Group, reg *jobs.Registry) {
	r := &reindexRoutes{a: a, jobs: reg}
	g.POST("/$reindex", r.start, a.checkFormat, a.systemOnly("update"))
	g.GET("/$reindex", a.reindexStatus, a.checkFormat, a.systemOnly("search-type"))
	g.GET("/$reindex/:job", r.status, a.checkFormat, a.systemOnly("search-type"))
	g.DELETE("/$reindex/:job", r.cancel, a.checkFormat, a.systemOnly("update"))
}

type reindexRoutes struct {
	a    *API
	jobs *jobs.Registry // nil: only the synchronous form
}

func (a *API) reindexer() (store.Reindexer, error) {
	ri, ok := a.store.(store.Reindexer)
	if !ok || ri.Indexer() == nil {
		return nil, fhir.Errorf(fhir.KindNotSupported, "fhirapi: $reindex: the store has no indexer")
	}
	return ri, nil
}

// respondAsync reports whether the request asks for the asynchronous
// pattern (Prefer: respond-async, RFC 7240).
func respondAsync(c echo.Context) bool {
	for _, v := range c.Request().Header.Values("Prefer") {
		for _, p := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), "respond-async") {
				return true
			}
		}
	}
	return false
}

func batchParam(c echo.Context) (int, error) {
	v := c.QueryParam("batch")
	switch {
	case v == "" && respondAsync(c):
		return reindexJobBatch, nil
	case v == "":
		return reindexBatch, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 10_000 {
		return 0, fhir.Errorf(fhir.KindInvalid, "fhirapi: $reindex: batch %q: want a number from 1 to 10000", v)
	}
	return n, nil
}

func (r *reindexRoutes) start(c echo.Context) error {
	ri, err := r.a.reindexer()
	if err != nil {
		return err
	}
	batch, err := batchParam(c)
	if err != nil {
		return err
	}
	types := typesParam(c)
	if !respondAsync(c) {
		return r.a.reindexBatch(c, ri, types, batch)
	}
	if r.jobs == nil {
		return fhir.Errorf(fhir.KindNotSupported, "fhirapi: $reindex: asynchronous jobs are not available")
	}
	if c.QueryParam("_cursor") != "" {
		return fhir.Errorf(fhir.KindInvalid, "fhirapi: $reindex: _cursor belongs to the synchronous form (without Prefer: respond-async)")
	}
	spec := jobs.Spec{Kind: ReindexJob, Detail: "all types"}
	if len(types) > 0 {
		spec.Detail = "_type=" + strings.Join(types, ",")
	}
	if p := auth.FromContext(c.Request().Context()); p != nil {
		spec.Owner = p.Subject
	}
	snap, err := r.jobs.Start(spec, reindexJob(ri, types, batch))
	var busy *jobs.BusyError
	switch {
	case errors.As(err, &busy):
		c.Response().Header().Set("Content-Location", r.statusURL(busy.Running.ID))
		return fhir.Errorf(fhir.KindConflict, "fhirapi: $reindex: job %s is already %s (%s); its status is at Content-Location",
			busy.Running.ID, busy.Running.State, busy.Running.Line())
	case err != nil:
		return fmt.Errorf("fhirapi: $reindex: %w", err)
	}
	c.Response().Header().Set("Content-Location", r.statusURL(snap.ID))
	return writeValue(c, http.StatusAccepted, OperationOutcome([]fhir.Issue{{Severity: fhir.SeverityInformation,
		Code: "informational", Diagnostic: "reindex job " + snap.ID + " started (" + spec.Detail + "); poll Content-Location"}}))
}

func (r *reindexRoutes) statusURL(id string) string { return r.a.baseURL() + "/$reindex/" + id }

// job returns the reindex job named by the route.
func (r *reindexRoutes) job(c echo.Context) (jobs.Snapshot, error) {
	if r.jobs == nil {
		return jobs.Snapshot{}, fhir.Errorf(fhir.KindNotFound, "fhirapi: $reindex: no such job")
	}
	s, err := r.jobs.Get(c.Param("job"))
	if err != nil || s.Kind != ReindexJob {
		return jobs.Snapshot{}, fhir.Errorf(fhir.KindNotFound, "fhirapi: $reindex: no job %q (finished jobs are kept a while, then forgotten)", c.Param("job"))
	}
	return s, nil
}

func (r *reindexRoutes) status(c echo.Context) error {
	s, err := r.job(c)
	if err != nil {
		return err
	}
	switch s.State {
	case jobs.Done:
		return writeValue(c, http.StatusOK, JobParameters(s))
	case jobs.Failed:
		return writeValue(c, http.StatusInternalServerError, OperationOutcome([]fhir.Issue{{Severity: fhir.SeverityError,
			Code: "exception", Diagnostic: "reindex job " + s.ID + " failed: " + s.Error}}))
	case jobs.Cancelled:
		return fhir.Errorf(fhir.KindNotFound, "fhirapi: $reindex: job %s was cancelled after %d of %d resources", s.ID, s.Done, s.Total)
	}
	h := c.Response().Header()
	h.Set("X-Progress", s.Line())
	h.Set("Retry-After", "1")
	return writeValue(c, http.StatusAccepted, JobParameters(s))
}

func (r *reindexRoutes) cancel(c echo.Context) error {
	s, err := r.job(c)
	if err != nil {
		return err
	}
	if s, err = r.jobs.Cancel(s.ID); err != nil {
		return fhir.Errorf(fhir.KindNotFound, "fhirapi: $reindex: %v", err)
	}
	return writeValue(c, http.StatusAccepted, OperationOutcome([]fhir.Issue{{Severity: fhir.SeverityInformation,
		Code: "informational", Diagnostic: "reindex job " + s.ID + " cancelled"}}))
}

// reindexJob re-indexes every current resource of types, batch by batch.
func reindexJob(ri store.Reindexer, types []string, batch int) jobs.Func {
	return func(ctx context.Context, report func(jobs.Progress)) (any, error) {
		total, err := ri.ReindexCount(ctx, types)
		if err != nil {
			return nil, fmt.Errorf("fhirapi: reindex: count: %w", err)
		}
		report(jobs.Progress{Phase: ReindexJob, Total: total})
		var done int64
		cursor := ""
		for {
			n, next, err := ri.Reindex(ctx, types, cursor, batch)
			if err != nil {
				return nil, fmt.Errorf("fhirapi: reindex: batch after %d of %d resources: %w", done, total, err)
			}
			done += int64(n)
			total = max(total, done) // resources created meanwhile
			if next == "" {
				break
			}
			report(jobs.Progress{Phase: ReindexJob, Done: done, Total: total})
			cursor = next
		}
		// Resources deleted meanwhile were not visited: what was done is
		// the whole.
		report(jobs.Progress{Phase: ReindexJob, Done: done, Total: done})
		return map[string]int64{"done": done, "total": done}, nil
	}
}

// JobParameters describes a job as a FHIR Parameters resource: id, kind,
// state, phase, done, total, rate (per second), eta and elapsed (seconds),
// started, finished and error, as far as known.
func JobParameters(s jobs.Snapshot) map[string]any {
	ps := []any{
		map[string]any{"name": "id", "valueString": s.ID},
		map[string]any{"name": "kind", "valueCode": s.Kind},
		map[string]any{"name": "state", "valueCode": string(s.State)},
	}
	if s.Phase != "" {
		ps = append(ps, map[string]any{"name": "phase", "valueString": s.Phase})
	}
	ps = append(ps,
		map[string]any{"name": "done", "valueInteger": s.Done},
		map[string]any{"name": "total", "valueInteger": s.Total},
		map[string]any{"name": "rate", "valueDecimal": round2(s.Rate)},
		map[string]any{"name": "elapsed", "valueDecimal": round2(s.Elapsed.Seconds())})
	if s.ETA > 0 {
		ps = append(ps, map[string]any{"name": "eta", "valueDecimal": round2(s.ETA.Seconds())})
	}
	if !s.Started.IsZero() {
		ps = append(ps, map[string]any{"name": "started", "valueInstant": s.Started.UTC().Format(time.RFC3339Nano)})
	}
	if !s.Finished.IsZero() {
		ps = append(ps, map[string]any{"name": "finished", "valueInstant": s.Finished.UTC().Format(time.RFC3339Nano)})
	}
	if s.Error != "" {
		ps = append(ps, map[string]any{"name": "error", "valueString": s.Error})
	}
	return map[string]any{"resourceType": "Parameters", "parameter": ps}
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// reindexBatch serves the synchronous form of POST [base]/$reindex: it
// re-indexes one batch and answers done (this batch), total and the cursor
// of the next batch ("" when finished).
func (a *API) reindexBatch(c echo.Context, ri store.Reindexer, types []string, batch int) error {
	ctx := c.Request().Context()
	total, err := ri.ReindexCount(ctx, types)
	if err != nil {
		return fmt.Errorf("fhirapi: $reindex: count: %w", err)
	}
	n, next, err := ri.Reindex(ctx, types, c.QueryParam("_cursor"), batch)
	if err != nil {
		return fmt.Errorf("fhirapi: $reindex: %w", err)
	}
	return writeValue(c, http.StatusOK, reindexParameters(int64(n), total, next))
}

// reindexStatus serves GET [base]/$reindex: the number of resources a
// reindex would visit.
func (a *API) reindexStatus(c echo.Context) error {
	ri, ok := a.store.(store.Reindexer)
	if !ok {
		return fhir.Errorf(fhir.KindNotSupported, "fhirapi: $reindex: the store has no indexer")
	}
	total, err := ri.ReindexCount(c.Request().Context(), typesParam(c))
	if err != nil {
		return fmt.Errorf("fhirapi: $reindex: count: %w", err)
	}
	return writeValue(c, http.StatusOK, reindexParameters(0, total, ""))
}

func typesParam(c echo.Context) []string {
	var types []string
	for _, v := range c.QueryParams()["_type"] {
		types = append(types, splitComma(v)...)
	}
	return types
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func reindexParameters(done, total int64, next string) map[string]any {
	ps := []any{
		map[string]any{"name": "done", "valueInteger": done},
		map[string]any{"name": "total", "valueInteger": total},
	}
	if next != "" {
		ps = append(ps, map[string]any{"name": "cursor", "valueString": next})
	}
	return map[string]any{"resourceType": "Parameters", "parameter": ps}
}
