package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// benchValues are the search values taken from the corpus (names,
// identifiers, codes) and from the hub (server-assigned ids).
type benchValues struct {
	families    []string
	identifiers []string // system|value
	codes       []string // the most frequent Observation codes, system|code

	mu         sync.Mutex
	patients   []string // Patient ids on the hub
	otherReads []string // Type/id of other resources, for reads
}

// corpusValues reads search values from the Synthea Bundles in dir.
func corpusValues(dir string) (*benchValues, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("bench: no Bundles in %s", dir)
	}
	v := &benchValues{}
	codes := map[string]int{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		var b struct {
			Entry []struct {
				Resource struct {
					ResourceType string          `json:"resourceType"`
					Name         json.RawMessage `json:"name"` // a string on Organization
					Identifier   []struct {
						System string `json:"system"`
						Value  string `json:"value"`
					} `json:"identifier"`
					Code struct {
						Coding []struct {
							System string `json:"system"`
							Code   string `json:"code"`
						} `json:"coding"`
					} `json:"code"`
				} `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(data, &b); err != nil {
			return nil, fmt.Errorf("bench: %s: %w", f, err)
		}
		for _, e := range b.Entry {
			r := e.Resource
			switch r.ResourceType {
			case "Patient":
				var names []struct {
					Family string `json:"family"`
				}
				if json.Unmarshal(r.Name, &names) == nil && len(names) > 0 && names[0].Family != "" {
					v.families = append(v.families, names[0].Family)
				}
				if len(r.Identifier) > 0 {
					v.identifiers = append(v.identifiers, r.Identifier[0].System+"|"+r.Identifier[0].Value)
				}
			case "Observation":
				if len(r.Code.Coding) > 0 {
					codes[r.Code.Coding[0].System+"|"+r.Code.Coding[0].Code]++
				}
			}
		}
	}
	for c := range codes {
		v.codes = append(v.codes, c)
	}
	sort.Slice(v.codes, func(i, j int) bool {
		if codes[v.codes[i]] != codes[v.codes[j]] {
			return codes[v.codes[i]] > codes[v.codes[j]]
		}
		return v.codes[i] < v.codes[j]
	})
	v.codes = v.codes[:min(8, len(v.codes))]
	if len(v.families) == 0 || len(v.codes) == 0 {
		return nil, fmt.Errorf("bench: %s holds no Patients or Observations", dir)
	}
	return v, nil
}

// forget drops the ids of a previous hub.
func (v *benchValues) forget() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.patients, v.otherReads = nil, nil
}

// record notes the ids the hub assigned (from transaction responses).
func (v *benchValues) record(locations []string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, loc := range locations {
		parts := strings.SplitN(loc, "/", 3)
		if len(parts) < 2 {
			continue
		}
		switch {
		case parts[0] == "Patient":
			v.patients = append(v.patients, parts[1])
		case len(v.otherReads) < 5000:
			v.otherReads = append(v.otherReads, parts[0]+"/"+parts[1])
		}
	}
}

// shape is one search of the benchmark; path builds its i-th query.
type shape struct {
	name string
	path func(v *benchValues, i int) string
}

func pick(s []string, i int) string { return s[i%len(s)] }

// searchShapes are the query shapes issue 3 §6 asks for.
func searchShapes() []shape {
	q := url.QueryEscape
	return []shape{
		{"Patient?name=", func(v *benchValues, i int) string { return "Patient?name=" + q(pick(v.families, i)) }},
		{"Patient?identifier=", func(v *benchValues, i int) string { return "Patient?identifier=" + q(pick(v.identifiers, i)) }},
		{"Observation?patient=&code=", func(v *benchValues, i int) string {
			return "Observation?patient=Patient/" + pick(v.patients, i) + "&code=" + q(pick(v.codes, i))
		}},
		{"Observation?code=&date=ge", func(v *benchValues, i int) string {
			return fmt.Sprintf("Observation?code=%s&date=ge%d-01-01", q(pick(v.codes, i)), 2010+i%10)
		}},
		{"Observation?value-quantity=gt", func(v *benchValues, i int) string {
			return fmt.Sprintf("Observation?value-quantity=gt%d", 50+(i%20)*10)
		}},
		{"Encounter?subject.family=", func(v *benchValues, i int) string { return "Encounter?subject.family=" + q(pick(v.families, i)) }},
		{"Patient?_has:Observation:patient:code=", func(v *benchValues, i int) string {
			return "Patient?_has:Observation:patient:code=" + q(pick(v.codes, i))
		}},
		{"Encounter?subject=&_revinclude=Observation:encounter", func(v *benchValues, i int) string {
			return "Encounter?subject=Patient/" + pick(v.patients, i) + "&_revinclude=Observation:encounter"
		}},
		{"Observation?subject=&_sort=-date", func(v *benchValues, i int) string {
			return "Observation?subject=Patient/" + pick(v.patients, i) + "&_sort=-date"
		}},
		{"Observation?code=&_summary=count", func(v *benchValues, i int) string {
			return "Observation?code=" + q(pick(v.codes, i)) + "&_summary=count"
		}},
		{"Patient/$everything", func(v *benchValues, i int) string { return "Patient/" + pick(v.patients, i) + "/$everything" }},
	}
}

// queryTimeout bounds one benchmark query.
const queryTimeout = 60 * time.Second

// latency is the outcome of one measured query shape.
type latency struct {
	n        int
	p50, p99 time.Duration
	hits     float64 // mean entries per response (total for _summary=count)
	err      string  // the first failure: "not yet supported: ..."
	timeout  bool    // a query took longer than queryTimeout
}

func (l latency) cell() string {
	switch {
	case l.timeout:
		return fmt.Sprintf("timeout (> %s)", queryTimeout)
	case l.err != "":
		return "not yet supported"
	}
	return fmt.Sprintf("%s / %s", fmtMS(l.p50), fmtMS(l.p99))
}

func fmtMS(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms < 10:
		return fmt.Sprintf("%.2f", ms)
	case ms < 100:
		return fmt.Sprintf("%.1f", ms)
	}
	return fmt.Sprintf("%.0f", ms)
}

// measure runs n queries built by path (after a short warm-up) from one
// client and returns their latency percentiles. A query that fails stops
// the shape and is reported with the server's message.
//
// A shape stops early, with fewer queries, once it has run for budget and
// measured at least five; one query may take at most queryTimeout.
func measure(ctx context.Context, c *http.Client, base string, v *benchValues, path func(*benchValues, int) string, n int, budget time.Duration) latency {
	var times []time.Duration
	var hits int64
	start := time.Now()
	for i := -3; i < n; i++ {
		if len(times) >= 5 && time.Since(start) > budget {
			break
		}
		p := path(v, i+3)
		t0 := time.Now()
		qctx, cancel := context.WithTimeout(ctx, queryTimeout)
		body, status, err := get(qctx, c, base+"/"+p)
		cancel()
		d := time.Since(t0)
		if err != nil {
			return latency{err: err.Error(), timeout: errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil}
		}
		if status != http.StatusOK {
			return latency{err: fmt.Sprintf("GET %s: %d %s", p, status, diagnostics(body))}
		}
		if i < 0 {
			continue
		}
		times = append(times, d)
		var b struct {
			Total *int64            `json:"total"`
			Entry []json.RawMessage `json:"entry"`
		}
		if json.Unmarshal(body, &b) == nil {
			if b.Total != nil && len(b.Entry) == 0 {
				hits += *b.Total
			} else {
				hits += int64(len(b.Entry))
			}
		}
	}
	return summarize(times, hits)
}

func summarize(times []time.Duration, hits int64) latency {
	if len(times) == 0 {
		return latency{err: "no queries ran"}
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	pct := func(p float64) time.Duration {
		i := int(p*float64(len(times))+0.5) - 1
		return times[min(max(i, 0), len(times)-1)]
	}
	return latency{n: len(times), p50: pct(0.50), p99: pct(0.99), hits: float64(hits) / float64(len(times))}
}

// measureReads reads resources by id (GET [type]/[id]) from one client.
func measureReads(ctx context.Context, c *http.Client, base string, refs []string, n int) latency {
	if len(refs) == 0 {
		return latency{err: "no resources to read"}
	}
	var times []time.Duration
	for i := -10; i < n; i++ {
		ref := refs[(i+10)*7919%len(refs)]
		t0 := time.Now()
		body, status, err := get(ctx, c, base+"/"+ref)
		d := time.Since(t0)
		if err != nil {
			return latency{err: err.Error()}
		}
		if status != http.StatusOK {
			return latency{err: fmt.Sprintf("GET %s: %d %s", ref, status, diagnostics(body))}
		}
		if i >= 0 {
			times = append(times, d)
		}
	}
	return summarize(times, int64(len(times)))
}

func get(ctx context.Context, c *http.Client, u string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "application/fhir+json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return body, resp.StatusCode, err
}

// diagnostics extracts an OperationOutcome's first diagnostics.
func diagnostics(body []byte) string {
	var oo struct {
		Issue []struct {
			Diagnostics string `json:"diagnostics"`
		} `json:"issue"`
	}
	if json.Unmarshal(body, &oo) == nil && len(oo.Issue) > 0 {
		return oo.Issue[0].Diagnostics
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
