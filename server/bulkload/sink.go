package bulkload

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"yigong/fhir"
	"yigong/fhir/fhirjson"
	"yigong/fhir/search"
	"yigong/fhir/store"
	"yigong/fhir/transaction"
)

// Sink executes one batch or transaction Bundle given as JSON and returns
// one result per entry, in entry order. When a transaction as a whole
// fails, the error is an *OutcomeError carrying the server's issues.
type Sink interface {
	Execute(ctx context.Context, bundle []byte) ([]EntryResult, error)
}

// EntryResult is the outcome of one Bundle entry.
type EntryResult struct {
	Status   int    // HTTP status of the entry: 201, 200, 400...
	Location string // Type/id/_history/version of the written resource
	Issues   []fhir.Issue
}

// OutcomeError is a rejected Bundle: the HTTP status (0 for a store sink)
// and the OperationOutcome's issues.
type OutcomeError struct {
	Status int
	Issues []fhir.Issue
	Err    error // the underlying error of a store sink, if any
}

func (e *OutcomeError) Error() string {
	var b strings.Builder
	b.WriteString("bulkload: bundle rejected")
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	for i, is := range e.Issues {
		if i == 3 {
			fmt.Fprintf(&b, "; ... %d more", len(e.Issues)-3)
			break
		}
		b.WriteString("; ")
		b.WriteString(issueText(is))
	}
	return b.String()
}

func (e *OutcomeError) Unwrap() error { return e.Err }

func issueText(is fhir.Issue) string {
	s := is.Diagnostic
	if is.Expression != "" && !strings.Contains(s, is.Expression) {
		s = is.Expression + ": " + s
	}
	if is.Code != "" {
		s = "[" + is.Code + "] " + s
	}
	return s
}

// HTTPSink posts Bundles to a running hub's FHIR base (POST [base]) with
// Prefer: return=minimal.
type HTTPSink struct {
	BaseURL string       // the FHIR base, "http://127.0.0.1:8080/fhir"
	Client  *http.Client // nil: a client with one idle connection per worker is not kept; use NewHTTPSink
}

// NewHTTPSink returns an HTTPSink whose client keeps up to conns idle
// connections to the server.
func NewHTTPSink(baseURL string, conns int) *HTTPSink {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, DisableCompression: true}
	return &HTTPSink{BaseURL: strings.TrimRight(baseURL, "/"), Client: &http.Client{Transport: tr}}
}

var _ Sink = (*HTTPSink)(nil)

// Execute implements Sink.
func (s *HTTPSink) Execute(ctx context.Context, bundle []byte) ([]EntryResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.BaseURL, bytes.NewReader(bundle))
	if err != nil {
		return nil, fmt.Errorf("bulkload: post %s: %w", s.BaseURL, err)
	}
	req.Header.Set("Content-Type", "application/fhir+json")
	req.Header.Set("Accept", "application/fhir+json")
	req.Header.Set("Prefer", "return=minimal")
	c := s.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("bulkload: post %s: %w", s.BaseURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, fmt.Errorf("bulkload: read response of %s: %w", s.BaseURL, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, &OutcomeError{Status: resp.StatusCode, Issues: outcomeIssues(body, resp.Status)}
	}
	var rb struct {
		Entry []struct {
			Response struct {
				Status   string          `json:"status"`
				Location string          `json:"location"`
				Outcome  json.RawMessage `json:"outcome"`
			} `json:"response"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &rb); err != nil {
		return nil, fmt.Errorf("bulkload: response of %s: %w", s.BaseURL, err)
	}
	out := make([]EntryResult, len(rb.Entry))
	for i, e := range rb.Entry {
		code, _, _ := strings.Cut(e.Response.Status, " ")
		st, _ := strconv.Atoi(code)
		out[i] = EntryResult{Status: st, Location: e.Response.Location}
		if len(e.Response.Outcome) > 0 {
			out[i].Issues = outcomeIssues(e.Response.Outcome, e.Response.Status)
		}
	}
	return out, nil
}

// outcomeIssues reads the issues of an OperationOutcome; other content
// becomes one issue quoting it.
func outcomeIssues(body []byte, status string) []fhir.Issue {
	var oo struct {
		ResourceType string `json:"resourceType"`
		Issue        []struct {
			Severity    string   `json:"severity"`
			Code        string   `json:"code"`
			Diagnostics string   `json:"diagnostics"`
			Expression  []string `json:"expression"`
			Details     struct {
				Text string `json:"text"`
			} `json:"details"`
		} `json:"issue"`
	}
	if err := json.Unmarshal(body, &oo); err != nil || oo.ResourceType != "OperationOutcome" {
		text := strings.TrimSpace(string(body))
		if len(text) > 300 {
			text = text[:300] + "..."
		}
		return []fhir.Issue{{Severity: fhir.SeverityError, Code: "exception", Diagnostic: status + ": " + text}}
	}
	issues := make([]fhir.Issue, 0, len(oo.Issue))
	for _, is := range oo.Issue {
		d := is.Diagnostics
		if d == "" {
			d = is.Details.Text
		}
		fi := fhir.Issue{Severity: fhir.Severity(is.Severity), Code: is.Code, Diagnostic: d}
		if len(is.Expression) > 0 {
			fi.Expression = is.Expression[0]
		}
		issues = append(issues, fi)
	}
	return issues
}

// StoreSink runs Bundles straight against a store with fhir/transaction,
// the way POST [base] does inside the server.
type StoreSink struct {
	Processor *transaction.Processor
}

var _ Sink = (*StoreSink)(nil)

// NewStoreSink returns a StoreSink writing into st for institution, with
// conditional references and creates matched by search through ps (the
// store's *search.Indexer, or search.Builtin{}). baseURL is the FHIR base
// that absolute references are relative to.
func NewStoreSink(st store.Store, ps search.Params, institution, baseURL string) *StoreSink {
	m := func(ctx context.Context, typ, query string) ([]*store.Resource, error) {
		se, ok := st.(store.Searcher)
		if !ok {
			return nil, fhir.Errorf(fhir.KindNotSupported, "bulkload: the store cannot search (conditional %s?%s)", typ, query)
		}
		return search.Match(ctx, se, ps, typ, query, baseURL)
	}
	return &StoreSink{Processor: &transaction.Processor{Store: st, Institution: institution, Matcher: transaction.MatcherFunc(m)}}
}

// Execute implements Sink.
func (s *StoreSink) Execute(ctx context.Context, bundle []byte) ([]EntryResult, error) {
	n, err := fhirjson.UnmarshalOptions{ResourceType: "Bundle"}.Unmarshal(bundle)
	if err != nil {
		return nil, &OutcomeError{Issues: fhir.IssuesOf(err), Err: err}
	}
	resps, err := s.Processor.Execute(ctx, n)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("bulkload: execute: %w", ctx.Err())
		}
		return nil, &OutcomeError{Issues: fhir.IssuesOf(err), Err: err}
	}
	out := make([]EntryResult, len(resps))
	for i, r := range resps {
		out[i] = EntryResult{Status: r.Status, Location: r.Location, Issues: r.Outcome}
	}
	return out, nil
}
