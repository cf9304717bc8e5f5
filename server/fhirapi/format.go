package fhirapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"yigong/fhir/fhirjson"
	"yigong/fhir/fhirxml"
	"yigong/fhir/store"
)

// ContentType is the media type of FHIR JSON answers.
const ContentType = "application/fhir+json; charset=utf-8"

// ContentTypeXML is the media type of FHIR XML answers.
const ContentTypeXML = "application/fhir+xml; charset=utf-8"

// formatKey is the echo context key holding the negotiated answer format.
const formatKey = "yigong.fhir.format"

// MaxBodyBytes caps a request body: a resource or Bundle larger than this is
// refused with 413 before it is read into memory.
const MaxBodyBytes = 64 << 20

// negotiate picks the answer format from _format, else Accept: FHIR JSON
// (the default) or FHIR XML; anything else specific is 406 Not Acceptable.
func negotiate(c echo.Context) error {
	if f := c.QueryParam("_format"); f != "" {
		switch {
		case isJSONFormat(f):
		case isXMLFormat(f):
			c.Set(formatKey, "xml")
		default:
			return statusError(http.StatusNotAcceptable, "not-supported",
				fmt.Sprintf("_format %q is not supported; use json or xml", f))
		}
		return nil
	}
	accept := c.Request().Header.Get(echo.HeaderAccept)
	if accept == "" {
		return nil
	}
	for _, part := range strings.Split(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch {
		case isJSONFormat(mt) || mt == "*/*" || mt == "application/*":
			return nil
		case isXMLFormat(mt):
			c.Set(formatKey, "xml")
			return nil
		}
	}
	return statusError(http.StatusNotAcceptable, "not-supported",
		fmt.Sprintf("Accept %q: this server speaks FHIR JSON (application/fhir+json) and XML (application/fhir+xml)", accept))
}

func isXMLFormat(f string) bool {
	switch strings.ToLower(strings.TrimSpace(f)) {
	case "xml", "application/xml", "application/fhir+xml", "application/xml+fhir", "text/xml":
		return true
	}
	return false
}

// wantsXML reports whether the answer is to be FHIR XML.
func wantsXML(c echo.Context) bool { return c.Get(formatKey) == "xml" }

func isJSONFormat(f string) bool {
	switch strings.ToLower(strings.TrimSpace(f)) {
	case "json", "application/json", "application/fhir+json", "application/json+fhir", "text/json":
		return true
	}
	return false
}

// readBody reads a request body of FHIR JSON, or of FHIR XML, which it
// converts to JSON so that every handler reads one format.
func readBody(c echo.Context) ([]byte, error) {
	req := c.Request()
	xmlBody := false
	if ct := req.Header.Get(echo.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		switch {
		case err == nil && isJSONFormat(mt):
		case err == nil && isXMLFormat(mt):
			xmlBody = true
		default:
			return nil, statusError(http.StatusUnsupportedMediaType, "not-supported",
				fmt.Sprintf("Content-Type %q: send FHIR JSON (application/fhir+json) or XML (application/fhir+xml)", ct))
		}
	}
	body, err := readRaw(c)
	if err != nil {
		return nil, err
	}
	if xmlBody {
		n, err := fhirxml.Unmarshal(body)
		if err != nil {
			return nil, err
		}
		return fhirjson.Marshal(n)
	}
	return body, nil
}

// readRaw reads a non-empty request body of at most MaxBodyBytes, whatever
// its media type.
func readRaw(c echo.Context) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, MaxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fhirapi: read body: %w", err)
	}
	if len(body) > MaxBodyBytes {
		return nil, statusError(http.StatusRequestEntityTooLarge, "too-costly",
			fmt.Sprintf("request body exceeds %d bytes", MaxBodyBytes))
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, statusError(http.StatusBadRequest, "required", "the request has no body; a resource is required")
	}
	return body, nil
}

// pretty reports whether _pretty=true was asked for.
func pretty(c echo.Context) bool {
	v, _ := strconv.ParseBool(c.QueryParam("_pretty"))
	return v
}

// writeJSON writes a FHIR resource given as JSON with status: as JSON,
// indented when _pretty asks, or converted to FHIR XML when that was
// negotiated.
func writeJSON(c echo.Context, status int, body []byte) error {
	if wantsXML(c) {
		n, err := fhirjson.Unmarshal(body)
		if err != nil {
			return fmt.Errorf("fhirapi: answer as XML: %w", err)
		}
		opts := fhirxml.MarshalOptions{}
		if pretty(c) {
			opts.Indent = "  "
		}
		out, err := opts.Marshal(n)
		if err != nil {
			return fmt.Errorf("fhirapi: answer as XML: %w", err)
		}
		return c.Blob(status, ContentTypeXML, out)
	}
	if pretty(c) {
		var buf bytes.Buffer
		if err := json.Indent(&buf, body, "", "  "); err == nil {
			body = buf.Bytes()
		}
	}
	c.Response().Header().Set(echo.HeaderContentType, ContentType)
	return c.Blob(status, ContentType, body)
}

// writeValue marshals v (an OperationOutcome, Bundle or other map) and writes it.
func writeValue(c echo.Context, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("fhirapi: encode answer: %w", err)
	}
	return writeJSON(c, status, bytes.TrimRight(buf.Bytes(), "\n"))
}

// setVersionHeaders sets ETag and Last-Modified for one resource version.
func setVersionHeaders(c echo.Context, r *store.Resource) {
	h := c.Response().Header()
	h.Set("ETag", etag(r.Version))
	h.Set("Last-Modified", r.LastUpdated.UTC().Format(http.TimeFormat))
}

func etag(version int64) string { return `W/"` + strconv.FormatInt(version, 10) + `"` }

// parseETag reads a version from an ETag or If-Match value: W/"3", "3" or 3.
func parseETag(v string) (int64, bool) {
	v = strings.TrimSpace(v)
	v = strings.TrimPrefix(v, "W/")
	v = strings.Trim(v, `"`)
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil && n > 0
}

// notModifiedSince reports whether If-Modified-Since says the client's copy is current.
func notModifiedSince(c echo.Context, lastUpdated time.Time) bool {
	ims := c.Request().Header.Get("If-Modified-Since")
	if ims == "" {
		return false
	}
	t, err := http.ParseTime(ims)
	if err != nil {
		return false
	}
	return !lastUpdated.Truncate(time.Second).After(t)
}

// Respond negotiates the format and writes v (a resource built as a Go map,
// such as the CapabilityStatement) as FHIR JSON or XML.
func Respond(c echo.Context, status int, v any) error {
	if err := negotiate(c); err != nil {
		return err
	}
	return writeValue(c, status, v)
}
