package server

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
	"yigong/fhir/store"
	"yigong/server/audit"
	"yigong/server/auth"
	"yigong/server/auth/accounts"
)

// protectedPrefixes need a principal: FHIR, DICOMweb, ECG intake and
// originals, the admin APIs.
var protectedPrefixes = []string{"/fhir", "/dicomweb", "/ingest", "/ecg/", "/admin"}

// publicPrefixes are served without a token inside the protected ones.
var publicPrefixes = []string{"/fhir/metadata", "/fhir/.well-known/"}

func protected(path string) bool {
	for _, p := range publicPrefixes {
		if strings.HasPrefix(path, p) {
			return false
		}
	}
	for _, p := range protectedPrefixes {
		if path == p || strings.HasPrefix(path, p+"/") || strings.HasSuffix(p, "/") && strings.HasPrefix(path, p) ||
			p == "/fhir" && strings.HasPrefix(path, "/fhir?") {
			return true
		}
	}
	return false
}

// authMiddleware authenticates every protected request (auth.Middleware:
// a bearer token verified by the authorization server, or the development
// principal) and then checks the routes that are not FHIR (DICOMweb, ECG,
// admin) at type level. CORS preflights pass: they carry no credentials.
func (s *Server) authMiddleware() echo.MiddlewareFunc {
	s.mu.Lock()
	sec := s.sec
	s.mu.Unlock()
	opts := auth.MiddlewareOptions{DevMode: s.cfg.Security.DevMode()}
	if sec != nil && sec.smart != nil {
		opts.Verifier = sec.smart
	}
	authn := auth.Middleware(opts)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		checked := authn(func(c echo.Context) error {
			if err := s.routeAccess(c, auth.FromContext(c.Request().Context())); err != nil {
				return err
			}
			if err := s.restrict(c); err != nil {
				return err
			}
			err := next(c)
			if s.sec != nil && s.sec.directory != nil && writesDirectory(c.Request()) {
				s.sec.directory.Invalidate()
			}
			return err
		})
		return func(c echo.Context) error {
			req := c.Request()
			if req.Method == http.MethodOptions || !protected(req.URL.Path) {
				return next(c)
			}
			if opts.Verifier == nil && !opts.DevMode {
				return &fhir.Error{Kind: fhir.KindUnauthorized, Msg: "auth: no authorization server"}
			}
			return checked(c)
		}
	}
}

// restrict hands the caller's institution visibility to the store: every
// read, search, include, history and write lookup the request makes is
// limited there (store.WithVisibility), whatever the handler. The
// development principal and whoever sees the hub's institution whole are
// not restricted.
func (s *Server) restrict(c echo.Context) error {
	req := c.Request()
	ctx := req.Context()
	p := auth.FromContext(ctx)
	if p == nil || s.sec == nil || s.sec.directory == nil || p.Kind == auth.KindDev {
		return nil
	}
	v, restricted, err := s.sec.directory.Visibility(ctx, p.Institution)
	if err != nil {
		return err
	}
	if restricted {
		c.SetRequest(req.WithContext(store.WithVisibility(ctx, v)))
	}
	return nil
}

// writesDirectory reports whether req may have written an Organization or
// a ServiceRequest (the hierarchy, a referral), after which the directory
// reloads rather than wait for its cache to expire.
func writesDirectory(req *http.Request) bool {
	if req.Method == http.MethodGet || req.Method == http.MethodHead {
		return false
	}
	p := req.URL.Path
	return p == "/fhir" || p == "/fhir/" || strings.HasPrefix(p, "/fhir/Organization") || strings.HasPrefix(p, "/fhir/ServiceRequest")
}

// routeAccess is the access check of the routes outside /fhir (whose
// handlers check each resource through auth.Checker).
func (s *Server) routeAccess(c echo.Context, p *auth.Principal) error {
	if p == nil {
		return &fhir.Error{Kind: fhir.KindUnauthorized, Msg: "auth: no credentials"}
	}
	path, method := c.Request().URL.Path, c.Request().Method
	checker := s.sec.checker
	read := method == http.MethodGet || method == http.MethodHead
	switch {
	case strings.HasPrefix(path, "/admin/auth"):
		return nil // the authorization server checks the administrator's role itself
	case strings.HasPrefix(path, "/admin"):
		if p.Kind == auth.KindDev || p.Admin == string(accounts.SystemAdmin) {
			return nil
		}
		return &fhir.Error{Kind: fhir.KindForbidden, Msg: "auth: the admin API needs the system administrator"}
	case strings.HasPrefix(path, "/dicomweb"):
		interaction := "search-type"
		if !read {
			interaction = "create"
		}
		d, err := checker.Decide(p, "ImagingStudy", interaction)
		if err != nil {
			return err
		}
		if d.Limited() {
			return s.dicomwebPatient(c, d.Patient, read)
		}
		return nil
	case strings.HasPrefix(path, "/ingest"):
		d, err := checker.Decide(p, "DiagnosticReport", "create")
		if err == nil && d.Limited() {
			err = &fhir.Error{Kind: fhir.KindForbidden, Msg: "auth: ECG intake needs a user/ or system/ scope"}
		}
		return err
	case strings.HasPrefix(path, "/ecg/"):
		d, err := checker.Decide(p, "DocumentReference", "read")
		if err == nil && d.Limited() {
			err = &fhir.Error{Kind: fhir.KindForbidden, Msg: "auth: ECG originals need a user/ or system/ scope"}
		}
		return err
	}
	return nil
}

// dicomwebPatient limits a patient-context caller to the studies of its
// patient: those whose ImagingStudy (kept in step with the DICOM index by
// the ImagingStudy worker) has subject Patient/<id>. A retrieve of another
// study is 403; a QIDO search is narrowed to the patient's study UIDs (a
// UID list, PS3.18 §8.3.4.1) or answered empty. STOW is refused.
func (s *Server) dicomwebPatient(c echo.Context, patient string, read bool) error {
	if !read || patient == "" {
		return &fhir.Error{Kind: fhir.KindForbidden, Msg: "auth: DICOMweb needs a user/ or system/ scope for this"}
	}
	uids, err := s.patientStudies(c.Request().Context(), patient)
	if err != nil {
		return err
	}
	req := c.Request()
	if study := c.Param("study"); study != "" {
		if !slices.Contains(uids, study) {
			return &fhir.Error{Kind: fhir.KindForbidden, Msg: "auth: the study is not the patient's"}
		}
		return nil
	}
	q := req.URL.Query()
	if req.URL.Path == "/dicomweb/wado" { // WADO-URI
		if !slices.Contains(uids, q.Get("studyUID")) {
			return &fhir.Error{Kind: fhir.KindForbidden, Msg: "auth: the study is not the patient's"}
		}
		return nil
	}
	if asked := q.Get("StudyInstanceUID") + q.Get("0020000D"); asked != "" {
		var keep []string
		for _, u := range strings.FieldsFunc(asked, func(r rune) bool { return r == ',' || r == '\\' }) {
			if slices.Contains(uids, u) {
				keep = append(keep, u)
			}
		}
		uids = keep
	}
	if len(uids) == 0 {
		return c.NoContent(http.StatusNoContent) // QIDO: no matches
	}
	q.Del("0020000D")
	q.Set("StudyInstanceUID", strings.Join(uids, ","))
	req.URL.RawQuery = q.Encode()
	return nil
}

// patientStudies returns the Study Instance UIDs of a patient's
// ImagingStudies.
func (s *Server) patientStudies(ctx context.Context, patient string) ([]string, error) {
	se, ok := s.store.(store.Searcher)
	if !ok {
		return nil, errors.New("server: the store cannot search")
	}
	q := store.SearchQuery{Type: "ImagingStudy", Count: store.MaxCount, Filters: []store.Filter{{Param: "subject",
		Type: store.ParamReference, Values: []store.FilterValue{{RefType: "Patient", RefID: patient}}}}}
	var out []string
	for {
		page, err := se.Search(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, r := range page.Entries {
			var is struct {
				Identifier []struct {
					Value string `json:"value"`
				} `json:"identifier"`
			}
			if json.Unmarshal(r.JSON, &is) == nil {
				for _, id := range is.Identifier {
					if uid, ok := strings.CutPrefix(id.Value, "urn:oid:"); ok {
						out = append(out, uid)
					}
				}
			}
		}
		if page.Next == "" {
			return out, nil
		}
		q.Cursor = page.Next
	}
}

// corsMiddleware answers cross-origin requests from the allowlisted
// origins (security.cors) for the FHIR API and the authorization server's
// token, JWKS, revocation and introspection endpoints; other origins get no
// CORS headers (the browser then refuses the answer) and their preflights
// 403. DICOMweb answers CORS itself for the same allowlist (its viewers'
// preflights included); here it only gets the allowed origin on answers
// that never reach its routes, such as a 401 from the auth middleware.
func (s *Server) corsMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	allowed := s.cfg.Security.CORS
	fhirCORS := auth.CORS{Origins: allowed, Methods: "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
		AllowHeaders: "Authorization, Content-Type, Accept, Prefer, If-Match, If-None-Match, If-None-Exist, If-Modified-Since, X-Requested-With",
		Expose:       "Location, Content-Location, ETag, Last-Modified, WWW-Authenticate"}
	return func(c echo.Context) error {
		req := c.Request()
		origin := req.Header.Get("Origin")
		if origin != "" && strings.HasPrefix(req.URL.Path, "/dicomweb") {
			if slices.Contains(allowed, origin) {
				c.Response().Header().Set("Access-Control-Allow-Origin", origin)
			}
			return next(c)
		}
		if !strings.HasPrefix(req.URL.Path, "/fhir") && !strings.HasPrefix(req.URL.Path, "/auth/") {
			return next(c)
		}
		if answered, err := fhirCORS.Handle(c); answered {
			return err
		}
		return next(c)
	}
}

// limitMiddleware applies the per-client rate limit (security.rate_limit
// requests per second, by client id, else by address) and the body size
// limit (security.max_body) to the FHIR and admin APIs; DICOMweb STOW and
// the ECG intake take large bodies and cap their own reads.
func (s *Server) limitMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	maxBody := s.cfg.Security.MaxBody
	return func(c echo.Context) error {
		req := c.Request()
		if !protected(req.URL.Path) || req.Method == http.MethodOptions {
			return next(c)
		}
		if l := s.sec.limiter; l != nil {
			key := "addr " + c.RealIP()
			if p := auth.FromContext(req.Context()); p != nil && p.Kind != auth.KindDev {
				key = "client " + p.ClientID
			}
			if wait := l.take(key); wait > 0 {
				c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
				return echo.NewHTTPError(http.StatusTooManyRequests, "rate limit exceeded: at most "+
					strconv.FormatFloat(s.cfg.Security.RateLimit, 'g', -1, 64)+" requests per second per client")
			}
		}
		if maxBody > 0 && (strings.HasPrefix(req.URL.Path, "/fhir") || strings.HasPrefix(req.URL.Path, "/admin")) {
			tooLarge := echo.NewHTTPError(http.StatusRequestEntityTooLarge, "request body larger than "+strconv.FormatInt(maxBody, 10)+" bytes")
			if req.ContentLength > maxBody {
				return tooLarge
			}
			req.Body = http.MaxBytesReader(c.Response(), req.Body, maxBody)
			err := next(c)
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return tooLarge
			}
			return err
		}
		return next(c)
	}
}

// rateLimiter is a token bucket per key: rate tokens per second, bursts of
// up to max(1, 2×rate). A bucket idle for burst/rate seconds is full
// again, the same as a new one, so it can be forgotten. Buckets live in two
// generations: cur holds those used since the last rotation, prev those
// used in the period before; a take looks in cur, then moves the bucket
// up from prev. Once a period (burst/rate) has passed, a take rotates:
// prev is dropped whole, and what it held had been idle a full period.
// Every take costs O(1) (a rotation drops a map without looking into it);
// idle clients are forgotten within two periods.
type rateLimiter struct {
	rate, burst float64
	period      time.Duration // burst/rate: a bucket idle this long is full
	now         func() time.Time
	mu          sync.Mutex
	cur, prev   map[string]*bucket
	rotated     time.Time // start of cur's period
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(rate float64, now func() time.Time) *rateLimiter {
	burst := max(1, 2*rate)
	return &rateLimiter{rate: rate, burst: burst, period: time.Duration(math.Ceil(burst / rate * float64(time.Second))),
		now: now, cur: map[string]*bucket{}, prev: map[string]*bucket{}, rotated: now()}
}

// take spends a token of key, or returns how long until one is available.
func (l *rateLimiter) take(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.rotated) >= l.period {
		// prev's buckets were last used before the previous rotation, at
		// least a period ago: full, forgotten.
		l.prev, l.cur, l.rotated = l.cur, make(map[string]*bucket, len(l.cur)), now
	}
	b := l.cur[key]
	if b == nil {
		if b = l.prev[key]; b != nil {
			delete(l.prev, key)
		} else {
			b = &bucket{tokens: l.burst, last: now}
		}
		l.cur[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	return time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// auditMiddleware records every FHIR, DICOMweb, ECG and admin request in
// the audit trail once it is answered: BALP read, query, create, update,
// delete or export, with the principal, address, target and outcome; a 401
// is an authentication failure. The error is rendered here so that the
// status is known. Logins, logouts and token failures are recorded by the
// authorization server (securityAuditor).
func (s *Server) auditMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if s.sec == nil || s.sec.recorder == nil || req.Method == http.MethodOptions || !protected(req.URL.Path) {
			return next(c)
		}
		if err := next(c); err != nil {
			c.Error(err)
		}
		s.sec.recorder.Record(context.WithoutCancel(c.Request().Context()), s.requestEvent(c))
		return nil
	}
}

// writeOps are the POSTed operations that change records (audited as
// updates); other operations only read (audited as queries).
var writeOps = map[string]bool{"$merge": true, "$unmerge": true, "$meta-add": true, "$meta-delete": true,
	"$replay": true, "$replay-errors": true, "$reindex": true}

// requestEvent describes an answered request for the audit trail.
func (s *Server) requestEvent(c echo.Context) audit.Event {
	req := c.Request()
	status := c.Response().Status
	route := c.Path()
	typ, id := c.Param("type"), c.Param("id")
	ev := audit.Event{Institution: s.cfg.Institution, Address: c.RealIP(), Outcome: audit.Success}
	switch {
	case status >= 500:
		ev.Outcome = audit.SeriousFail
	case status >= 400:
		ev.Outcome = audit.MinorFailure
	}
	if ev.Outcome != audit.Success {
		ev.Detail = strconv.Itoa(status) + " " + http.StatusText(status)
	}
	if p := auth.FromContext(req.Context()); p != nil {
		ev.Agent, ev.AgentType, ev.Client, ev.FHIRUser, ev.Patient = p.Subject, string(p.Kind), p.ClientID, p.FHIRUser, p.Patient
		if p.Institution != "" {
			ev.Institution = p.Institution
		}
	}
	if typ == "Patient" && id != "" && ev.Patient == "" {
		ev.Patient = id
	}
	if typ != "" && id != "" {
		ev.Resource = typ + "/" + id
		if v := c.Param("vid"); v != "" {
			ev.Resource += "/_history/" + v
		}
	}
	op := route[strings.LastIndex(route, "/")+1:]
	switch {
	case status == http.StatusUnauthorized:
		ev.Action = audit.AuthFailure
		ev.Resource = ""
		ev.Query = req.Method + " " + req.URL.Path
	case strings.Contains(route, "$everything") || strings.Contains(route, "$export"):
		ev.Action, ev.Query = audit.Export, req.URL.RequestURI()
	case req.Method == http.MethodGet || req.Method == http.MethodHead:
		if id != "" || c.Param("instance") != "" || strings.HasPrefix(req.URL.Path, "/ecg/") {
			ev.Action = audit.Read
			if ev.Resource == "" {
				ev.Query = req.URL.RequestURI()
			}
		} else {
			ev.Action, ev.Query = audit.Query, req.URL.RequestURI()
		}
	case req.Method == http.MethodPost && (op == "_search" || strings.HasPrefix(op, "$") && !writeOps[op]):
		ev.Action, ev.Query = audit.Query, req.URL.RequestURI()
	case req.Method == http.MethodPost && id == "" && !strings.HasPrefix(op, "$"):
		ev.Action = audit.Create
		if loc := c.Response().Header().Get(echo.HeaderLocation); loc != "" {
			if u, err := url.Parse(loc); err == nil {
				ev.Resource = strings.TrimPrefix(u.Path, "/fhir/")
			}
		}
		if ev.Resource == "" {
			ev.Query = req.Method + " " + req.URL.Path
		}
	case req.Method == http.MethodDelete:
		ev.Action = audit.Delete
		if ev.Resource == "" { // a conditional delete, a job cancelled: name what was asked
			ev.Query = req.Method + " " + req.URL.RequestURI()
		}
	default: // PUT, PATCH, $merge...
		ev.Action = audit.Update
		if ev.Resource == "" {
			ev.Query = req.Method + " " + req.URL.RequestURI()
		}
	}
	return ev
}
