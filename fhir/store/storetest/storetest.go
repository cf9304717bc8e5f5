package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"yigong/fhir"
	"yigong/fhir/store"
)

// Open opens a new empty store for one test.
type Open func(t *testing.T) store.Store

// Run runs the whole suite against the stores open returns.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"CRUD", testCRUD},
		{"Meta", testMeta},
		{"IfMatch", testIfMatch},
		{"UnchangedUpdate", testUnchangedUpdate},
		{"CreateFresh", testCreateFresh},
		{"Errors", testErrors},
		{"History", testHistory},
		{"Institutions", testInstitutions},
		{"ConditionalCreate", testConditionalCreate},
		{"ConditionalCreateConcurrent", testConditionalCreateConcurrent},
		{"UpdateAsCreateConcurrent", testUpdateAsCreateConcurrent},
		{"TxAtomic", testTxAtomic},
		{"OutboxOrderConcurrent", testOutboxOrder},
		{"Migrations", testMigrations},
		{"Index", testIndex},
		{"Search", testSearch},
		{"SearchInTx", testSearchInTx},
		{"SearchPlans", testSearchPlans},
		{"Context", testContext},
		{"Queue", testQueue},
		{"Visibility", testVisibility},
		{"Text", testText},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			tc.fn(t, s)
			auditPartitions(t, s)
		})
	}
}

// Patient returns a minimal Patient resource with the given family name and
// identifier value.
func Patient(family, identifier string) []byte {
	return fmt.Appendf(nil, `{"resourceType":"Patient","identifier":[{"system":"urn:oid:2.16.156.10011.1.3","value":%q}],"name":[{"family":%q,"given":["小东"]}],"gender":"male","birthDate":"1980-05-17"}`,
		identifier, family)
}

func in(inst, typ, id string, body []byte) store.Input {
	return store.Input{Institution: inst, Type: typ, ID: id, JSON: body}
}

func mustKind(t *testing.T, err error, kind fhir.Kind, sentinel error) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", kind)
	}
	if got := fhir.KindOf(err); got != kind {
		t.Fatalf("kind %v, want %v (err: %v)", got, kind, err)
	}
	if sentinel != nil && !errors.Is(err, sentinel) {
		t.Fatalf("error %v does not wrap %v", err, sentinel)
	}
	if !strings.Contains(err.Error(), "store: ") {
		t.Fatalf("error %q lacks the store prefix", err)
	}
}

// must returns a function that fails t on a non-nil error and otherwise
// returns the value: must[*store.Resource](t)(s.Read(ctx, ref)).
func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func res(t *testing.T) func(*store.Resource, error) *store.Resource { return must[*store.Resource](t) }

func testCRUD(t *testing.T, s store.Store) {
	ctx := context.Background()
	r1 := res(t)(s.Create(ctx, in("h1", "Patient", "", Patient("王", "110101198005170011"))))
	if r1.ID == "" || r1.Version != 1 || r1.Institution != "h1" || r1.Type != "Patient" || r1.Deleted {
		t.Fatalf("created %+v", r1)
	}
	ref := r1.Ref()
	got := res(t)(s.Read(ctx, ref))
	if string(got.JSON) != string(r1.JSON) || got.Version != 1 || !got.LastUpdated.Equal(r1.LastUpdated) {
		t.Fatalf("read %+v %s, want %s", got, got.JSON, r1.JSON)
	}
	// Read without institution finds it too.
	res(t)(s.Read(ctx, store.Ref{Type: "Patient", ID: r1.ID}))

	r2, created, err := s.Update(ctx, in("h1", "Patient", r1.ID, Patient("王", "2")))
	if err != nil || created || r2.Version != 2 || !r2.LastUpdated.After(r1.LastUpdated) {
		t.Fatalf("update: %+v created=%v err=%v", r2, created, err)
	}
	v1 := res(t)(s.VRead(ctx, ref, 1))
	if string(v1.JSON) != string(r1.JSON) {
		t.Fatalf("vread 1 = %s, want %s", v1.JSON, r1.JSON)
	}
	_, err = s.VRead(ctx, ref, 3)
	mustKind(t, err, fhir.KindNotFound, store.ErrNotFound)

	// Update-as-create with a client id.
	c, created, err := s.Update(ctx, in("h1", "Patient", "client-1", Patient("李", "3")))
	if err != nil || !created || c.Version != 1 || c.ID != "client-1" {
		t.Fatalf("update-as-create: %+v %v %v", c, created, err)
	}

	d := res(t)(s.Delete(ctx, ref, 0))
	if !d.Deleted || d.Version != 3 || d.JSON != nil {
		t.Fatalf("delete %+v", d)
	}
	gone, err := s.Read(ctx, ref)
	mustKind(t, err, fhir.KindGone, store.ErrGone)
	if gone == nil || !gone.Deleted || gone.Version != 3 {
		t.Fatalf("read deleted = %+v", gone)
	}
	_, err = s.VRead(ctx, ref, 3)
	mustKind(t, err, fhir.KindGone, store.ErrGone)
	res(t)(s.VRead(ctx, ref, 2)) // history kept
	again := res(t)(s.Delete(ctx, ref, 0))
	if again.Version != 3 {
		t.Fatalf("second delete wrote version %d", again.Version)
	}
	_, err = s.Delete(ctx, store.Ref{Institution: "h1", Type: "Patient", ID: "nope"}, 0)
	mustKind(t, err, fhir.KindNotFound, store.ErrNotFound)

	// Update revives a deleted resource.
	rv, created, err := s.Update(ctx, in("h1", "Patient", r1.ID, Patient("王", "4")))
	if err != nil || !created || rv.Version != 4 {
		t.Fatalf("revive: %+v %v %v", rv, created, err)
	}
	res(t)(s.Read(ctx, ref))
	_, err = s.Read(ctx, store.Ref{Type: "Patient", ID: "missing"})
	mustKind(t, err, fhir.KindNotFound, store.ErrNotFound)
}

func testMeta(t *testing.T, s store.Store) {
	ctx := context.Background()
	body := `{"meta":{"versionId":"99","profile":["http://example.org/p"],"lastUpdated":"2000-01-01T00:00:00Z"},"resourceType":"Patient","id":"ignored","active":true,"name":[{"text":"王小东"}]}`
	r := res(t)(s.Create(ctx, in("h1", "Patient", "", []byte(body))))
	var m struct {
		ResourceType string `json:"resourceType"`
		ID           string `json:"id"`
		Meta         struct {
			VersionID   string   `json:"versionId"`
			LastUpdated string   `json:"lastUpdated"`
			Profile     []string `json:"profile"`
		} `json:"meta"`
		Active bool `json:"active"`
		Name   []struct {
			Text string `json:"text"`
		} `json:"name"`
	}
	if err := json.Unmarshal(r.JSON, &m); err != nil {
		t.Fatalf("stored JSON %s: %v", r.JSON, err)
	}
	if m.ResourceType != "Patient" || m.ID != r.ID || m.Meta.VersionID != "1" || !m.Active ||
		len(m.Meta.Profile) != 1 || len(m.Name) != 1 || m.Name[0].Text != "王小东" {
		t.Fatalf("stored JSON %s", r.JSON)
	}
	lu, err := time.Parse(time.RFC3339Nano, m.Meta.LastUpdated)
	if err != nil || !lu.Equal(r.LastUpdated) {
		t.Fatalf("meta.lastUpdated %q vs %v: %v", m.Meta.LastUpdated, r.LastUpdated, err)
	}
	if !strings.HasSuffix(m.Meta.LastUpdated, "+08:00") {
		t.Fatalf("meta.lastUpdated %q is not in +08:00", m.Meta.LastUpdated)
	}
	if !strings.HasPrefix(string(r.JSON), `{"resourceType":"Patient","id":"`) {
		t.Fatalf("stored JSON does not start with resourceType and id: %s", r.JSON)
	}
}

// testCreateFresh checks store.FreshCreator: the resource is created under
// the caller's id, readable after commit, and an id that exists in the
// institution is a conflict that leaves the existing resource alone.
func testCreateFresh(t *testing.T, s store.Store) {
	ctx := context.Background()
	tx, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fc, ok := tx.(store.FreshCreator)
	if !ok {
		tx.Rollback(ctx)
		t.Skip("the engine has no CreateFresh") // both engines have it; the interface is optional
	}
	id := store.NewID(time.Now())
	r, err := fc.CreateFresh(ctx, in("h1", "Patient", id, Patient("王", "fresh")))
	if err != nil || r.ID != id || r.Version != 1 {
		t.Fatalf("CreateFresh: %+v, %v", r, err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Read(ctx, store.Ref{Institution: "h1", Type: "Patient", ID: id}); err != nil || got.Version != 1 {
		t.Fatalf("read after CreateFresh: %+v, %v", got, err)
	}
	tx, err = s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tx.(store.FreshCreator).CreateFresh(ctx, in("h1", "Patient", id, Patient("李", "again")))
	tx.Rollback(ctx)
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("CreateFresh of an existing id: %v, want ErrConflict", err)
	}
	if got, err := s.Read(ctx, store.Ref{Institution: "h1", Type: "Patient", ID: id}); err != nil || got.Version != 1 || !strings.Contains(string(got.JSON), "王") {
		t.Errorf("the existing resource changed: %+v, %v", got, err)
	}
}

func testIfMatch(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := res(t)(s.Create(ctx, in("h1", "Patient", "", Patient("王", "1"))))
	tests := []struct {
		name    string
		ifMatch int64
		ok      bool
	}{
		{"stale", 2, false},
		{"current", 1, true},
		{"now stale", 1, false},
		{"unconditional", 0, true},
	}
	for _, tc := range tests {
		u := in("h1", "Patient", r.ID, Patient("王", tc.name)) // new content: an unchanged one writes no version
		u.IfMatch = tc.ifMatch
		_, _, err := s.Update(ctx, u)
		if tc.ok && err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !tc.ok {
			mustKind(t, err, fhir.KindPrecondition, store.ErrPrecondition)
		}
	}
	_, err := s.Delete(ctx, r.Ref(), 1)
	mustKind(t, err, fhir.KindPrecondition, store.ErrPrecondition)
	res(t)(s.Delete(ctx, r.Ref(), 3))
}

// testUnchangedUpdate: an update whose content is byte for byte the
// current version's (ignoring the versionId and lastUpdated the store
// stamps) writes nothing and answers the current version; any change,
// even of member order or of a tag, writes a version; deletion, If-Match
// and transactions keep their meaning.
func testUnchangedUpdate(t *testing.T, s store.Store) {
	ctx := context.Background()
	changesAfter := func(after int64) []store.Change {
		t.Helper()
		return must[[]store.Change](t)(s.Changes(ctx, after, 1000))
	}
	lastSeq := func() int64 {
		t.Helper()
		var seq int64
		for {
			ch := changesAfter(seq)
			if len(ch) == 0 {
				return seq
			}
			seq = ch[len(ch)-1].Seq
		}
	}
	body := Patient("王", "noop-1")
	r1 := res(t)(s.Create(ctx, in("h1", "Patient", "", body)))
	seq := lastSeq()
	update := func(b []byte, ifMatch int64) (*store.Resource, bool) {
		t.Helper()
		u := in("h1", "Patient", r1.ID, b)
		u.IfMatch = ifMatch
		r, created, err := s.Update(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		return r, created
	}

	r, created := update(body, 0)
	if r.Version != 1 || created || !r.LastUpdated.Equal(r1.LastUpdated) || string(r.JSON) != string(r1.JSON) {
		t.Fatalf("unchanged update: version %d, created %v, lastUpdated %v (was %v), JSON %s", r.Version, created,
			r.LastUpdated, r1.LastUpdated, r.JSON)
	}
	// The meta a client echoes from a read (versionId, lastUpdated) is the
	// store's to set: still unchanged.
	echoed := []byte(strings.Replace(string(body), `{"resourceType":"Patient",`,
		`{"resourceType":"Patient","meta":{"versionId":"9","lastUpdated":"2020-01-01T00:00:00Z"},`, 1))
	if r, _ := update(echoed, 1); r.Version != 1 {
		t.Fatalf("update echoing meta: version %d, want 1", r.Version)
	}
	tx := must[store.Tx](t)(s.Begin(ctx))
	if r, _, err := tx.Update(ctx, in("h1", "Patient", r1.ID, body)); err != nil || r.Version != 1 {
		t.Fatalf("unchanged update in a transaction: %v, %v", r, err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := changesAfter(seq); len(got) != 0 {
		t.Fatalf("unchanged updates left changes in the outbox: %+v", got)
	}
	if _, err := s.VRead(ctx, r1.Ref(), 2); fhir.KindOf(err) != fhir.KindNotFound {
		t.Fatalf("version 2 after unchanged updates: %v, want not found", err)
	}
	u := in("h1", "Patient", r1.ID, body)
	u.IfMatch = 2
	_, _, err := s.Update(ctx, u)
	mustKind(t, err, fhir.KindPrecondition, store.ErrPrecondition)

	// Changes: member order, a tag, then back to the first content.
	reordered := Patient("王", "noop-1")
	reordered = []byte(strings.Replace(string(reordered), `"gender":"male","birthDate":"1980-05-17"`,
		`"birthDate":"1980-05-17","gender":"male"`, 1))
	tagged := []byte(strings.Replace(string(body), `{"resourceType":"Patient",`,
		`{"resourceType":"Patient","meta":{"tag":[{"system":"urn:t","code":"x"}]},`, 1))
	for i, b := range [][]byte{reordered, tagged, body} {
		if r, _ := update(b, 0); r.Version != int64(i+2) {
			t.Fatalf("changed update %d: version %d, want %d", i, r.Version, i+2)
		}
	}
	if got := changesAfter(seq); len(got) != 3 {
		t.Fatalf("%d changes after three changed updates, want 3", len(got))
	}
	// After a deletion the same content is a new version (the resource
	// comes back).
	res(t)(s.Delete(ctx, r1.Ref(), 0))
	if r, created := update(body, 0); r.Version != 6 || !created {
		t.Fatalf("update after delete: version %d, created %v; want 6, true", r.Version, created)
	}
}

func testErrors(t *testing.T, s store.Store) {
	ctx := context.Background()
	tests := []struct {
		name string
		in   store.Input
	}{
		{"no institution", in("", "Patient", "", Patient("a", "1"))},
		{"wrong resourceType", in("h1", "Observation", "", Patient("a", "1"))},
		{"not JSON", in("h1", "Patient", "", []byte(`{"resourceType":`))},
		{"array", in("h1", "Patient", "", []byte(`[]`))},
		{"trailing data", in("h1", "Patient", "", []byte(`{"resourceType":"Patient"} {}`))},
		{"duplicate member", in("h1", "Patient", "", []byte(`{"resourceType":"Patient","active":true,"active":false}`))},
		{"empty", in("h1", "Patient", "", nil)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Create(ctx, tc.in)
			mustKind(t, err, fhir.KindInvalid, nil)
		})
	}
	_, _, err := s.Update(ctx, in("h1", "Patient", "bad id!", Patient("a", "1")))
	mustKind(t, err, fhir.KindInvalid, nil)
	_, _, err = s.CreateIfNoneExist(ctx, in("h1", "Patient", "", Patient("a", "1")), "_count=1")
	mustKind(t, err, fhir.KindInvalid, nil)
}

func testHistory(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := res(t)(s.Create(ctx, in("h1", "Patient", "", Patient("A", "1"))))
	mid := a.LastUpdated
	res(t)(s.Create(ctx, in("h2", "Patient", "", Patient("B", "2"))))
	obs := `{"resourceType":"Observation","status":"final","code":{"text":"x"}}`
	res(t)(s.Create(ctx, in("h1", "Observation", "", []byte(obs))))
	a2, _, err := s.Update(ctx, in("h1", "Patient", a.ID, Patient("A", "1b")))
	if err != nil {
		t.Fatal(err)
	}
	res(t)(s.Delete(ctx, a.Ref(), 0))

	count := func(q store.HistoryQuery) []*store.Resource {
		t.Helper()
		var all []*store.Resource
		seen := map[string]bool{}
		for page := 0; ; page++ {
			p := must[*store.HistoryPage](t)(s.History(ctx, q))
			for _, r := range p.Entries {
				k := fmt.Sprintf("%s/%s/%d", r.Type, r.ID, r.Version)
				if seen[k] {
					t.Fatalf("history repeats %s", k)
				}
				seen[k] = true
			}
			all = append(all, p.Entries...)
			if p.Next == "" {
				return all
			}
			q.Cursor = p.Next
			if page > 100 {
				t.Fatal("history does not end")
			}
		}
	}
	tests := []struct {
		name string
		q    store.HistoryQuery
		want []string // type/version, newest first
	}{
		{"instance", store.HistoryQuery{Type: "Patient", ID: a.ID, Count: 1}, []string{"Patient/3", "Patient/2", "Patient/1"}},
		{"type", store.HistoryQuery{Type: "Patient", Count: 2}, []string{"Patient/3", "Patient/2", "Patient/1", "Patient/1"}},
		{"type in h1", store.HistoryQuery{Type: "Patient", Institution: "h1"}, []string{"Patient/3", "Patient/2", "Patient/1"}},
		{"system", store.HistoryQuery{Count: 2}, []string{"Patient/3", "Patient/2", "Observation/1", "Patient/1", "Patient/1"}},
		{"since", store.HistoryQuery{Type: "Patient", ID: a.ID, Since: a2.LastUpdated}, []string{"Patient/3", "Patient/2"}},
		{"at", store.HistoryQuery{Type: "Patient", ID: a.ID, At: a2.LastUpdated}, []string{"Patient/2"}},
		{"at before", store.HistoryQuery{Type: "Patient", ID: a.ID, At: mid.Add(-time.Microsecond)}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, r := range count(tc.q) {
				got = append(got, fmt.Sprintf("%s/%d", r.Type, r.Version))
				if r.Deleted != (r.JSON == nil) {
					t.Errorf("%s/%s/%d: deleted=%v with JSON %q", r.Type, r.ID, r.Version, r.Deleted, r.JSON)
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("history %v, want %v", got, tc.want)
			}
		})
	}
	_, err = s.History(ctx, store.HistoryQuery{ID: "x"})
	mustKind(t, err, fhir.KindInvalid, nil)
	_, err = s.History(ctx, store.HistoryQuery{Cursor: "garbage"})
	mustKind(t, err, fhir.KindInvalid, nil)
}

func testInstitutions(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := res(t)(s.Create(ctx, in("clinic-07", "Patient", "", Patient("张", "1"))))
	_, err := s.Read(ctx, store.Ref{Institution: "clinic-08", Type: "Patient", ID: r.ID})
	mustKind(t, err, fhir.KindNotFound, store.ErrNotFound)
	_, _, err = s.Update(ctx, in("clinic-08", "Patient", r.ID, Patient("张", "1")))
	mustKind(t, err, fhir.KindConflict, store.ErrConflict)
	if got := res(t)(s.Read(ctx, store.Ref{Type: "Patient", ID: r.ID})); got.Institution != "clinic-07" {
		t.Fatalf("institution %q", got.Institution)
	}
	// A delete without institution finds the owner.
	d := res(t)(s.Delete(ctx, store.Ref{Type: "Patient", ID: r.ID}, 0))
	if d.Institution != "clinic-07" {
		t.Fatalf("deleted in %q", d.Institution)
	}
	ch := must[[]store.Change](t)(s.Changes(ctx, 0, 10))
	for _, c := range ch {
		if c.Institution != "clinic-07" {
			t.Fatalf("change %+v lacks the institution", c)
		}
	}
}

// auditPartitions checks that every row of every data table carries an
// institution, when the engine can say.
func auditPartitions(t *testing.T, s store.Store) {
	t.Helper()
	pa, ok := s.(store.PartitionAuditor)
	if !ok || t.Failed() {
		return
	}
	audit, err := pa.AuditPartitions(context.Background())
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	for _, a := range audit {
		if a.WithoutInstitution != 0 {
			t.Errorf("table %s: %d of %d rows without institution", a.Table, a.WithoutInstitution, a.Rows)
		}
	}
}

func testConditionalCreate(t *testing.T, s store.Store) {
	ctx := context.Background()
	body := Patient("王", "110101198005170011")
	r1, created, err := s.CreateIfNoneExist(ctx, in("h1", "Patient", "", body), "identifier=urn:oid:2.16.156.10011.1.3|110101198005170011&gender=male")
	if err != nil || !created {
		t.Fatalf("first: %v %v", created, err)
	}
	tests := []struct {
		name     string
		inst     string
		criteria string
		created  bool
	}{
		{"same", "h1", "identifier=urn:oid:2.16.156.10011.1.3|110101198005170011&gender=male", false},
		{"reordered", "h1", "?gender=male&identifier=urn%3Aoid%3A2.16.156.10011.1.3%7C110101198005170011&_count=5", false},
		{"other criteria", "h1", "identifier=urn:oid:2.16.156.10011.1.3|999", true},
		{"other institution", "h2", "identifier=urn:oid:2.16.156.10011.1.3|110101198005170011&gender=male", true},
	}
	for _, tc := range tests {
		r, created, err := s.CreateIfNoneExist(ctx, in(tc.inst, "Patient", "", body), tc.criteria)
		if err != nil || created != tc.created {
			t.Fatalf("%s: created=%v err=%v", tc.name, created, err)
		}
		if !created && (r.ID != r1.ID || r.Version != 1) {
			t.Fatalf("%s: returned %s/%d, want %s/1", tc.name, r.ID, r.Version, r1.ID)
		}
	}
	// Deleting the holder releases the key.
	res(t)(s.Delete(ctx, r1.Ref(), 0))
	r3, created, err := s.CreateIfNoneExist(ctx, in("h1", "Patient", "", body), "gender=male&identifier=urn:oid:2.16.156.10011.1.3|110101198005170011")
	if err != nil || !created || r3.ID == r1.ID {
		t.Fatalf("after delete: %v %v", created, err)
	}
}

// testConditionalCreateConcurrent: 50 concurrent identical conditional
// creates make exactly one resource.
func testConditionalCreateConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 50
	var wg sync.WaitGroup
	ids := make([]string, n)
	created := make([]bool, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			r, c, err := s.CreateIfNoneExist(ctx, in("h1", "Patient", "", Patient("王", "X-1")), "identifier=urn:oid:2.16.156.10011.1.3|X-1")
			errs[i], created[i] = err, c
			if r != nil {
				ids[i] = r.ID
			}
		})
	}
	close(start)
	wg.Wait()
	nc := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("create %d: %v", i, errs[i])
		}
		if created[i] {
			nc++
		}
		if ids[i] != ids[0] {
			t.Fatalf("create %d returned %s, create 0 %s", i, ids[i], ids[0])
		}
	}
	if nc != 1 {
		t.Fatalf("%d creates reported created, want 1", nc)
	}
	p := must[*store.HistoryPage](t)(s.History(ctx, store.HistoryQuery{Type: "Patient"}))
	if len(p.Entries) != 1 {
		t.Fatalf("%d Patient versions stored, want 1", len(p.Entries))
	}
	ch := must[[]store.Change](t)(s.Changes(ctx, 0, 100))
	if len(ch) != 1 {
		t.Fatalf("%d changes, want 1", len(ch))
	}
}

// testUpdateAsCreateConcurrent: concurrent PUTs of a new client id (each
// with other content) make one resource with one version per PUT.
func testUpdateAsCreateConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	created := make([]bool, n)
	for i := range n {
		wg.Go(func() {
			_, created[i], errs[i] = s.Update(ctx, in("h1", "Patient", "put-1", Patient("王", fmt.Sprint(i))))
		})
	}
	wg.Wait()
	nc := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("update %d: %v", i, errs[i])
		}
		if created[i] {
			nc++
		}
	}
	r := res(t)(s.Read(ctx, store.Ref{Institution: "h1", Type: "Patient", ID: "put-1"}))
	if nc != 1 || r.Version != n {
		t.Fatalf("created %d times, version %d; want 1 and %d", nc, r.Version, n)
	}
}

func testTxAtomic(t *testing.T, s store.Store) {
	ctx := context.Background()
	keep := res(t)(s.Create(ctx, in("h1", "Patient", "", Patient("A", "1"))))
	base := len(must[[]store.Change](t)(s.Changes(ctx, 0, 1000)))

	type step func(tx store.Tx) error
	create := func(tx store.Tx) error {
		_, err := tx.Create(ctx, in("h1", "Patient", "", Patient("B", "2")))
		return err
	}
	update := func(tx store.Tx) error {
		_, _, err := tx.Update(ctx, in("h1", "Patient", keep.ID, Patient("A", "1b")))
		return err
	}
	put := func(tx store.Tx) error {
		_, _, err := tx.Update(ctx, in("h1", "Patient", "tx-put", Patient("C", "3")))
		return err
	}
	cond := func(tx store.Tx) error {
		_, _, err := tx.CreateIfNoneExist(ctx, in("h1", "Patient", "", Patient("D", "4")), "identifier=tx-4")
		return err
	}
	del := func(tx store.Tx) error { _, err := tx.Delete(ctx, keep.Ref(), 0); return err }
	stale := func(tx store.Tx) error {
		u := in("h1", "Patient", keep.ID, Patient("A", "1c"))
		u.IfMatch = 1
		_, _, err := tx.Update(ctx, u)
		return err
	}
	bad := func(tx store.Tx) error { _, err := tx.Create(ctx, in("h1", "Patient", "", []byte(`{`))); return err }

	tests := []struct {
		name  string
		steps []step
	}{
		{"invalid last", []step{create, update, put, cond, bad}},
		{"precondition after update", []step{create, update, stale}},
		{"delete then invalid", []step{put, del, bad}},
	}
	for _, tc := range tests {
		tx := must[store.Tx](t)(s.Begin(ctx))
		var err error
		for _, st := range tc.steps {
			if err = st(tx); err != nil {
				break
			}
		}
		if err == nil {
			t.Fatalf("%s: no step failed", tc.name)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatalf("%s: rollback: %v", tc.name, err)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatalf("%s: second rollback: %v", tc.name, err)
		}
		if _, err := tx.Create(ctx, in("h1", "Patient", "", Patient("E", "5"))); !errors.Is(err, store.ErrClosed) {
			t.Fatalf("%s: create after rollback: %v", tc.name, err)
		}
		if got := len(must[[]store.Change](t)(s.Changes(ctx, 0, 1000))); got != base {
			t.Fatalf("%s: %d changes after rollback, want %d", tc.name, got, base)
		}
		if r := res(t)(s.Read(ctx, keep.Ref())); r.Version != 1 {
			t.Fatalf("%s: version %d after rollback", tc.name, r.Version)
		}
		_, err = s.Read(ctx, store.Ref{Institution: "h1", Type: "Patient", ID: "tx-put"})
		mustKind(t, err, fhir.KindNotFound, store.ErrNotFound)
		if p := must[*store.HistoryPage](t)(s.History(ctx, store.HistoryQuery{})); len(p.Entries) != 1 {
			t.Fatalf("%s: %d versions after rollback, want 1", tc.name, len(p.Entries))
		}
	}

	// Commit: everything lands, the outbox gets one dense run.
	tx := must[store.Tx](t)(s.Begin(ctx))
	for _, st := range []step{create, update, put, cond, del} {
		if err := st(tx); err != nil {
			t.Fatal(err)
		}
	}
	// A transaction reads its own writes.
	if r, err := tx.Read(ctx, store.Ref{Institution: "h1", Type: "Patient", ID: "tx-put"}); err != nil || r.Version != 1 {
		t.Fatalf("read own write: %v", err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("second commit: %v", err)
	}
	ch := must[[]store.Change](t)(s.Changes(ctx, 0, 1000))
	if len(ch) != base+5 {
		t.Fatalf("%d changes, want %d", len(ch), base+5)
	}
	for i, c := range ch {
		if c.Seq != int64(i+1) {
			t.Fatalf("change %d has seq %d", i, c.Seq)
		}
	}
	wantOps := []store.Op{store.OpCreate, store.OpUpdate, store.OpCreate, store.OpCreate, store.OpDelete}
	for i, op := range wantOps {
		if got := ch[base+i].Op; got != op {
			t.Fatalf("change %d op %s, want %s", base+i, got, op)
		}
	}
}

// testOutboxOrder: concurrent writers; a consumer polling the outbox while
// they write must see dense sequence numbers (a gap would be a change it
// skipped), every acknowledged write exactly once, and each resource's
// versions in order.
func testOutboxOrder(t *testing.T, s store.Store) {
	ctx := context.Background()
	writers, per := 8, 200
	if testing.Short() || raceEnabled {
		per = 25
	}
	var wg sync.WaitGroup
	acked := make([][]store.Change, writers)
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			var id string
			for i := range per {
				var r *store.Resource
				var err error
				switch {
				case i == 0:
					r, err = s.Create(ctx, in(fmt.Sprintf("h%d", w%3), "Patient", "", Patient("W", fmt.Sprintf("w%d", w))))
				case i%10 == 5: // a small transaction now and then
					var tx store.Tx
					if tx, err = s.Begin(ctx); err == nil {
						if r, _, err = tx.Update(ctx, in(fmt.Sprintf("h%d", w%3), "Patient", id, Patient("W", fmt.Sprint(i)))); err == nil {
							err = tx.Commit(ctx)
						} else {
							tx.Rollback(ctx)
						}
					}
				default:
					r, _, err = s.Update(ctx, in(fmt.Sprintf("h%d", w%3), "Patient", id, Patient("W", fmt.Sprint(i))))
				}
				if err != nil {
					errs[w] = err
					return
				}
				id = r.ID
				acked[w] = append(acked[w], store.Change{ID: r.ID, Version: r.Version})
			}
		})
	}
	total := writers * per
	var seen []store.Change
	var cursor int64
	deadline := time.Now().Add(2 * time.Minute)
	consume := func() {
		ch := must[[]store.Change](t)(s.Changes(ctx, cursor, 97))
		if len(ch) == 0 {
			time.Sleep(time.Millisecond) // let the writers run
		}
		for _, c := range ch {
			if c.Seq != cursor+1 {
				t.Fatalf("outbox gap: seq %d after %d", c.Seq, cursor)
			}
			cursor = c.Seq
			seen = append(seen, c)
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		consume()
		if time.Now().After(deadline) {
			t.Fatal("writers did not finish")
		}
	}
	consume()
	for w, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", w, err)
		}
	}
	if len(seen) != total {
		t.Fatalf("consumer saw %d changes, want %d", len(seen), total)
	}
	last := map[string]int64{}
	for _, c := range seen {
		if c.Version != last[c.ID]+1 {
			t.Fatalf("resource %s: version %d after %d", c.ID, c.Version, last[c.ID])
		}
		last[c.ID] = c.Version
	}
	for w := range writers {
		for _, a := range acked[w] {
			if last[a.ID] < a.Version {
				t.Fatalf("acknowledged %s/%d not in the outbox", a.ID, a.Version)
			}
		}
	}
}

func testMigrations(t *testing.T, s store.Store) {
	m, ok := s.(store.Migrator)
	if !ok {
		t.Skip("the store has no Migrator")
	}
	ctx := context.Background()
	for i := range 2 {
		n, err := m.Migrate(ctx)
		if err != nil || n != 0 {
			t.Fatalf("migrate %d on an opened store: applied %d, %v; want 0", i, n, err)
		}
	}
	res(t)(s.Create(ctx, in("h1", "Patient", "", Patient("A", "1"))))
}

func testContext(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Create(ctx, in("h1", "Patient", "", Patient("A", "1"))); err == nil {
		t.Fatal("create with a cancelled context succeeded")
	}
	if _, err := s.Begin(ctx); err == nil {
		t.Fatal("begin with a cancelled context succeeded")
	}
}
