package dicomweb

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	dicomsvc "yigong/server/dicom"
)

// TestCORS checks that DICOMweb answers CORS only for the allowlisted
// origins: the origin echoed (never "*"), preflights of others refused.
func TestCORS(t *testing.T) {
	t.Parallel()
	const viewer = "https://viewer.example.cn"
	e := echo.New()
	Register(e.Group("/dicomweb"), Options{
		Service:        func() *dicomsvc.Service { return nil }, // not running: 503, still with CORS
		AllowedOrigins: []string{viewer, "http://127.0.0.1:3000"},
	})
	tests := []struct {
		name, method, origin, reqMethod string
		wantStatus                      int
		wantOrigin                      string // Access-Control-Allow-Origin
		wantMethods                     bool   // Access-Control-Allow-Methods present
		wantVary                        bool
	}{
		{"allowed GET", http.MethodGet, viewer, "", http.StatusServiceUnavailable, viewer, false, true},
		{"second allowed origin", http.MethodGet, "http://127.0.0.1:3000", "", http.StatusServiceUnavailable, "http://127.0.0.1:3000", false, true},
		{"other origin GET", http.MethodGet, "https://evil.example.com", "", http.StatusServiceUnavailable, "", false, true},
		{"origin differing in scheme", http.MethodGet, "http://viewer.example.cn", "", http.StatusServiceUnavailable, "", false, true},
		{"no origin", http.MethodGet, "", "", http.StatusServiceUnavailable, "", false, false},
		{"allowed preflight", http.MethodOptions, viewer, "POST", http.StatusNoContent, viewer, true, true},
		{"other preflight", http.MethodOptions, "https://evil.example.com", "GET", http.StatusForbidden, "", false, true},
		{"null origin preflight", http.MethodOptions, "null", "GET", http.StatusForbidden, "", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tc.method, "/dicomweb/studies?PatientID=1", nil)
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			if tc.reqMethod != "" {
				req.Header.Set("Access-Control-Request-Method", tc.reqMethod)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			hd := rec.Header()
			if rec.Code != tc.wantStatus {
				t.Errorf("status %d, want %d", rec.Code, tc.wantStatus)
			}
			if got := hd.Get("Access-Control-Allow-Origin"); got != tc.wantOrigin {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tc.wantOrigin)
			}
			if got := hd.Get("Access-Control-Allow-Methods") != ""; got != tc.wantMethods {
				t.Errorf("Access-Control-Allow-Methods present %v, want %v", got, tc.wantMethods)
			}
			if got := hd.Get("Vary") == "Origin"; got != tc.wantVary {
				t.Errorf("Vary %q, want Origin: %v", hd.Get("Vary"), tc.wantVary)
			}
		})
	}
}

// TestCORSNoneAllowed checks that an empty allowlist (the default) gives
// no origin access.
func TestCORSNoneAllowed(t *testing.T) {
	t.Parallel()
	e := echo.New()
	Register(e.Group("/dicomweb"), Options{Service: func() *dicomsvc.Service { return nil }})
	req := httptest.NewRequest(http.MethodGet, "/dicomweb/studies", nil)
	req.Header.Set("Origin", "https://viewer.example.cn")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "" {
		t.Fatalf("Access-Control-Allow-Origin %q with no allowed origins", got)
	}
}
