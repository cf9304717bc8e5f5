package transaction

import (
	"context"
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"yigong/fhir"
	"yigong/fhir/fhirjson"
	"yigong/fhir/model"
	"yigong/fhir/patch"
	"yigong/fhir/store"
)

// Matcher finds the current resources of a type matching a search query
// string ("identifier=http://x|1").
type Matcher interface {
	Match(ctx context.Context, resourceType, query string) ([]*store.Resource, error)
}

// MatcherFunc adapts a function to Matcher.
type MatcherFunc func(ctx context.Context, resourceType, query string) ([]*store.Resource, error)

// Match calls f.
func (f MatcherFunc) Match(ctx context.Context, resourceType, query string) ([]*store.Resource, error) {
	return f(ctx, resourceType, query)
}

// Processor executes Bundles. It is safe for concurrent use.
type Processor struct {
	Store   store.Store
	Matcher Matcher
	// Institution owns what the Bundles write (the store's partition key).
	Institution string
	// Reader answers the GET entries; nil means reads by id only.
	Reader func(ctx context.Context, url string) (status int, body []byte, err error)
	// MatchIn, when set, answers the conditional searches of PrepareIn
	// inside a transaction already begun, so that a Bundle sees the writes
	// made before it in the same transaction.
	MatchIn func(ctx context.Context, tx store.Tx, resourceType, query string) ([]*store.Resource, error)
}

// Response is the outcome of one entry, in request order.
type Response struct {
	Status       int    // HTTP status: 200, 201, 204, 4xx...
	Location     string // Type/id/_history/version of a written resource
	ETag         string // W/"version"
	LastModified time.Time
	Resource     []byte       // the stored resource or the GET answer; nil when none
	Outcome      []fhir.Issue // an entry's error (batch) or warnings
}

// entry is one Bundle.entry being processed.
type entry struct {
	index        int
	loc          string // Bundle.entry[i]
	fullURL      string
	method       string
	url          string // request.url
	typ          string
	id           string // target id once known
	query        string // conditional criteria (url query or ifNoneExist)
	ifNoneExist  string
	ifMatch      int64
	resource     *fhir.Node
	patchBody    *fhir.Node // Parameters (FHIRPath Patch) or Binary (JSON Patch)
	conditional  bool       // the id comes from a conditional create
	matched      []*store.Resource
	resp         Response
	pendingLinks map[string]bool // fullUrls of pending entries this resource references
}

// Execute runs a batch or transaction Bundle and returns one Response per
// entry, in request order. For a transaction, an error means nothing was
// written; it carries the location of the failing entry.
func (p *Processor) Execute(ctx context.Context, bundle *fhir.Node) ([]Response, error) {
	if bundle == nil || bundle.Type != "Bundle" {
		return nil, invalid("Bundle", "a batch or transaction must be a Bundle")
	}
	kind := bundle.ChildValue("type")
	if kind != "transaction" && kind != "batch" {
		return nil, invalid("Bundle.type", "Bundle.type is %q; POST [base] takes a batch or a transaction", kind)
	}
	entries, err := parseEntries(bundle)
	if err != nil {
		return nil, err
	}
	if kind == "batch" {
		return p.batch(ctx, entries), nil
	}
	if err := p.transaction(ctx, entries); err != nil {
		return nil, err
	}
	out := make([]Response, len(entries))
	for _, e := range entries {
		out[e.index] = e.resp
	}
	return out, nil
}

func invalid(loc, format string, args ...any) *fhir.Error {
	msg := fmt.Sprintf(format, args...)
	return &fhir.Error{Kind: fhir.KindInvalid, Msg: "transaction: " + msg,
		Issues: []fhir.Issue{{Severity: fhir.SeverityError, Code: "invalid", Expression: loc, Diagnostic: msg}}}
}

// atEntry prefixes err's issues with the entry's location, keeping its kind.
func atEntry(e *entry, err error) error {
	issues := fhir.IssuesOf(err)
	out := make([]fhir.Issue, len(issues))
	for i, is := range issues {
		is.Diagnostic = fmt.Sprintf("%s (%s %s): %s", e.loc, e.method, e.url, is.Diagnostic)
		if is.Expression == "" {
			is.Expression = e.loc
		} else if !strings.HasPrefix(is.Expression, "Bundle") {
			is.Expression = e.loc + ".resource." + strings.TrimPrefix(is.Expression, e.typ+".")
		}
		out[i] = is
	}
	return &fhir.Error{Kind: fhir.KindOf(err), Msg: fmt.Sprintf("transaction: %s failed", e.loc), Issues: out, Err: err}
}

func parseEntries(bundle *fhir.Node) ([]*entry, error) {
	var entries []*entry
	for i, en := range bundle.ChildrenNamed("entry") {
		e := &entry{index: i, loc: fmt.Sprintf("Bundle.entry[%d]", i), fullURL: en.ChildValue("fullUrl")}
		req := en.Child("request")
		if req == nil {
			return nil, invalid(e.loc+".request", "entry has no request")
		}
		e.method = strings.ToUpper(req.ChildValue("method"))
		e.url = strings.TrimPrefix(req.ChildValue("url"), "/")
		e.ifNoneExist = req.ChildValue("ifNoneExist")
		if im := req.ChildValue("ifMatch"); im != "" {
			v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(im, "W/"), `"`), 10, 64)
			if err != nil {
				return nil, invalid(e.loc+".request.ifMatch", "ifMatch %q is not W/\"version\"", im)
			}
			e.ifMatch = v
		}
		e.resource = en.Child("resource")
		if err := e.parseURL(); err != nil {
			return nil, err
		}
		switch e.method {
		case MethodPost, MethodPut:
			if e.resource == nil {
				return nil, invalid(e.loc+".resource", "%s entry has no resource", e.method)
			}
			if e.resource.Type != e.typ {
				return nil, invalid(e.loc+".resource", "resource is a %s but the request url names %s", e.resource.Type, e.typ)
			}
		case MethodPatch:
			if e.resource == nil || (e.resource.Type != "Parameters" && e.resource.Type != "Binary") {
				return nil, invalid(e.loc+".resource", "a PATCH entry carries a Parameters (FHIRPath Patch) or Binary (JSON Patch) resource")
			}
			e.patchBody, e.resource = e.resource, nil
		case MethodDelete, MethodGet, MethodHead:
		default:
			return nil, invalid(e.loc+".request.method", "unknown method %q", e.method)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// parseURL splits request.url into type, id and conditional query.
func (e *entry) parseURL() error {
	u := e.url
	path, query, _ := strings.Cut(u, "?")
	parts := strings.Split(path, "/")
	if e.method == MethodGet || e.method == MethodHead {
		e.typ = parts[0]
		return nil // reads and searches are answered by the Reader
	}
	e.typ = parts[0]
	if !model.IsResourceType(e.typ) {
		return invalid(e.loc+".request.url", "unknown resource type in %q", u)
	}
	switch {
	case len(parts) == 1 && query != "" && e.method != MethodPost:
		e.query = query // conditional update, patch or delete
	case len(parts) == 1 && e.method == MethodPost:
		e.query = e.ifNoneExist
	case len(parts) == 2 && e.method != MethodPost:
		e.id = parts[1]
	default:
		return invalid(e.loc+".request.url", "%s %s is not a valid entry url", e.method, u)
	}
	return nil
}

// target is the reference other entries use for this entry once known.
func (e *entry) target() string { return e.typ + "/" + e.id }

// Prepared is a transaction Bundle whose conditional references and
// targets have been resolved by search, ready to run in a transaction.
type Prepared struct {
	entries []*entry
}

// Prepare parses a transaction Bundle and resolves its searches. Call it
// before beginning the transaction that ExecuteIn will use.
func (p *Processor) Prepare(ctx context.Context, bundle *fhir.Node) (*Prepared, error) {
	if bundle == nil || bundle.Type != "Bundle" || bundle.ChildValue("type") != "transaction" {
		return nil, invalid("Bundle.type", "Prepare takes a transaction Bundle")
	}
	entries, err := parseEntries(bundle)
	if err != nil {
		return nil, err
	}
	if err := p.prepare(ctx, entries); err != nil {
		return nil, err
	}
	return &Prepared{entries: entries}, nil
}

// PrepareIn is Prepare with its searches run inside tx (Processor.MatchIn),
// for a caller that applies several Bundles in one transaction: each
// Bundle's conditional references and targets then see the writes of the
// Bundles before it. It fails when the Processor has no MatchIn.
func (p *Processor) PrepareIn(ctx context.Context, tx store.Tx, bundle *fhir.Node) (*Prepared, error) {
	if p.MatchIn == nil {
		return nil, fhir.Errorf(fhir.KindNotSupported, "transaction: PrepareIn needs Processor.MatchIn")
	}
	q := *p
	q.Matcher = MatcherFunc(func(ctx context.Context, typ, query string) ([]*store.Resource, error) {
		return p.MatchIn(ctx, tx, typ, query)
	})
	return q.Prepare(ctx, bundle)
}

// ExecuteIn runs a prepared transaction inside tx without committing it, so
// that a caller can make other writes atomic with it (an inbox marking the
// message that produced the Bundle as processed). GET entries are answered
// from tx. A Prepared is used once.
func (p *Processor) ExecuteIn(ctx context.Context, tx store.Tx, prep *Prepared) ([]Response, error) {
	entries := prep.entries
	if err := p.apply(ctx, tx, entries); err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.method == MethodGet || e.method == MethodHead {
			p.readIn(ctx, tx, e)
		}
	}
	out := make([]Response, len(entries))
	for _, e := range entries {
		out[e.index] = e.resp
	}
	return out, nil
}

func (p *Processor) transaction(ctx context.Context, entries []*entry) error {
	if err := p.prepare(ctx, entries); err != nil {
		return err
	}
	tx, err := p.Store.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := p.apply(ctx, tx, entries); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	for _, e := range entries {
		if e.method == MethodGet || e.method == MethodHead {
			p.read(ctx, e)
		}
	}
	return nil
}

// prepare resolves conditional references and conditional targets by
// search. It runs before the transaction begins: searches must not wait on
// connections the transaction holds, and the specification resolves them
// first.
func (p *Processor) prepare(ctx context.Context, entries []*entry) error {
	for _, e := range entries {
		if e.resource != nil {
			if err := p.resolveConditionalRefs(ctx, e, e.resource); err != nil {
				return atEntry(e, err)
			}
		}
		if err := p.matchTarget(ctx, e); err != nil {
			return atEntry(e, err)
		}
	}
	return nil
}

// apply performs the entries' writes in tx, in the specification's order.
func (p *Processor) apply(ctx context.Context, tx store.Tx, entries []*entry) error {
	// 2. Ids known in advance: new resources get one now.
	ids := map[string]string{} // fullUrl → Type/id
	for _, e := range entries {
		if e.method == MethodPost && !e.conditional && len(e.matched) == 0 { // an ifNoneExist that matched keeps the match's id
			e.id = store.NewID(time.Now())
		}
		if e.id != "" && e.fullURL != "" {
			ids[e.fullURL] = e.target()
		}
	}
	// 3. Conditional creates first, dependencies before dependants.
	pending := map[string]*entry{}
	for _, e := range entries {
		if e.conditional && e.fullURL != "" {
			pending[e.fullURL] = e
		}
	}
	for _, e := range entries {
		if e.conditional {
			e.pendingLinks = referencedPending(e.resource, pending)
		}
	}
	order, err := dependencyOrder(entries)
	if err != nil {
		return err
	}
	var incomplete []*entry // created before a partner in a reference cycle
	for _, e := range order {
		rewriteRefs(e.resource, ids)
		// A member of a reference cycle is written again below, its tree
		// changed: the store must not keep the tree of this first version.
		cycle := len(referencedPending(e.resource, pending)) > 0
		if err := p.conditionalCreate(ctx, tx, e, !cycle); err != nil {
			return atEntry(e, err)
		}
		if e.fullURL != "" {
			ids[e.fullURL] = e.target()
		}
		if cycle && e.resp.Status == StatusCreated {
			incomplete = append(incomplete, e)
		}
	}
	// A reference cycle (ServiceRequest.specimen ↔ Specimen.request) is
	// broken by creating one member first; now that its partners exist, its
	// references are completed, as a second version in the same transaction.
	for _, e := range incomplete {
		rewriteRefs(e.resource, ids)
		in, err := p.input(e)
		if err != nil {
			return atEntry(e, err)
		}
		r, _, err := tx.Update(ctx, in)
		if err != nil {
			return atEntry(e, err)
		}
		e.resp = written(StatusCreated, r)
	}
	// 4. The rest in the specification's order.
	byOrder := append([]*entry(nil), entries...)
	sort.SliceStable(byOrder, func(i, j int) bool { return methodRank(byOrder[i].method) < methodRank(byOrder[j].method) })
	for _, e := range byOrder {
		if e.conditional {
			continue
		}
		if e.resource != nil {
			rewriteRefs(e.resource, ids)
		}
		if err := p.write(ctx, tx, e); err != nil {
			return atEntry(e, err)
		}
	}
	return nil
}

func methodRank(m string) int {
	switch m {
	case MethodDelete:
		return 0
	case MethodPost:
		return 1
	case MethodPut, MethodPatch:
		return 2
	}
	return 3
}

// matchTarget resolves conditional update/patch/delete and conditional
// create targets by search.
func (p *Processor) matchTarget(ctx context.Context, e *entry) error {
	if e.query == "" || e.method == MethodGet || e.method == MethodHead {
		return nil
	}
	matches, err := p.match(ctx, e.typ, e.query)
	if err != nil {
		return err
	}
	e.matched = matches
	switch e.method {
	case MethodPost: // ifNoneExist
		switch len(matches) {
		case 0:
			e.conditional = true
		case 1:
			e.id = matches[0].ID
		default:
			return fhir.Errorf(fhir.KindPrecondition, "ifNoneExist %q matches %d %s resources", e.query, len(matches), e.typ)
		}
	case MethodPut:
		switch len(matches) {
		case 0:
			if rid := e.resource.ID(); rid != "" {
				e.id = rid // update-as-create with the client's id
			} else {
				e.conditional = true
			}
		case 1:
			e.id = matches[0].ID
		default:
			return fhir.Errorf(fhir.KindPrecondition, "conditional update %s?%s matches %d resources", e.typ, e.query, len(matches))
		}
	case MethodPatch:
		if len(matches) != 1 {
			return fhir.Errorf(fhir.KindPrecondition, "conditional patch %s?%s matches %d resources, not one", e.typ, e.query, len(matches))
		}
		e.id = matches[0].ID
	case MethodDelete:
		if len(matches) > 1 {
			return fhir.Errorf(fhir.KindPrecondition, "conditional delete %s?%s matches %d resources", e.typ, e.query, len(matches))
		}
		if len(matches) == 1 {
			e.id = matches[0].ID
		}
	}
	return nil
}

func (p *Processor) match(ctx context.Context, typ, query string) ([]*store.Resource, error) {
	if p.Matcher == nil {
		return nil, fhir.Errorf(fhir.KindNotSupported, "conditional operations need search, which is not configured")
	}
	return p.Matcher.Match(ctx, typ, query)
}

// resolveConditionalRefs replaces references of the form Type?query by the
// one resource they match.
func (p *Processor) resolveConditionalRefs(ctx context.Context, e *entry, n *fhir.Node) error {
	var err error
	n.Walk(func(path string, c *fhir.Node) bool {
		if err != nil {
			return false
		}
		if c.Type != "Reference" {
			return true
		}
		ref := c.Child("reference")
		if ref == nil || !strings.Contains(ref.Value, "?") || strings.Contains(ref.Value, "://") {
			return true
		}
		typ, query, _ := strings.Cut(ref.Value, "?")
		if !model.IsResourceType(typ) {
			return true
		}
		var ms []*store.Resource
		ms, err = p.match(ctx, typ, query)
		if err == nil && len(ms) != 1 {
			err = &fhir.Error{Kind: fhir.KindPrecondition, Msg: "conditional reference",
				Issues: []fhir.Issue{{Severity: fhir.SeverityError, Code: "not-found", Expression: path,
					Diagnostic: fmt.Sprintf("conditional reference %s matches %d resources, not one", ref.Value, len(ms))}}}
		}
		if err == nil {
			ref.Value = typ + "/" + ms[0].ID
		}
		return true
	})
	return err
}

// referencedPending lists the pending (conditional-create) entries n refers to.
func referencedPending(n *fhir.Node, pending map[string]*entry) map[string]bool {
	links := map[string]bool{}
	if n == nil {
		return links
	}
	n.Walk(func(_ string, c *fhir.Node) bool {
		if c.Type == "Reference" {
			if r := c.ChildValue("reference"); pending[r] != nil {
				links[r] = true
			}
		}
		return true
	})
	return links
}

// dependencyOrder returns the conditional-create entries so that each comes
// after the pending entries it references. In a reference cycle the entry
// that closes it comes first, its references to its partners completed
// after they are created.
func dependencyOrder(entries []*entry) ([]*entry, error) {
	byURL := map[string]*entry{}
	var todo []*entry
	for _, e := range entries {
		if e.conditional {
			todo = append(todo, e)
			if e.fullURL != "" {
				byURL[e.fullURL] = e
			}
		}
	}
	var out []*entry
	done := map[*entry]bool{}
	visiting := map[*entry]bool{}
	var visit func(e *entry) error
	visit = func(e *entry) error {
		if done[e] {
			return nil
		}
		if visiting[e] {
			return nil // a cycle: the referencing entry goes first, completed later
		}
		visiting[e] = true
		deps := make([]string, 0, len(e.pendingLinks))
		for u := range e.pendingLinks {
			deps = append(deps, u)
		}
		sort.Strings(deps)
		for _, u := range deps {
			if d := byURL[u]; d != nil && d != e {
				if err := visit(d); err != nil {
					return err
				}
			}
		}
		visiting[e] = false
		done[e] = true
		out = append(out, e)
		return nil
	}
	for _, e := range todo {
		if err := visit(e); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// rewriteRefs replaces references to other entries' fullUrls by Type/id.
func rewriteRefs(n *fhir.Node, ids map[string]string) {
	if n == nil {
		return
	}
	n.Walk(func(_ string, c *fhir.Node) bool {
		if c.Type == "Reference" {
			if r := c.Child("reference"); r != nil {
				if t, ok := ids[r.Value]; ok {
					r.Value = t
				}
			}
		}
		return true
	})
}

// input is the store input of e's resource. The tree goes with the JSON
// (store.Input.Node: the store's indexer need not decode the JSON again):
// every caller writes e.resource for the last time.
func (p *Processor) input(e *entry) (store.Input, error) {
	setID(e.resource, e.id)
	body, err := fhirjson.Marshal(e.resource)
	if err != nil {
		return store.Input{}, err
	}
	return store.Input{Institution: p.Institution, Type: e.typ, ID: e.id, JSON: body, IfMatch: e.ifMatch,
		Node: e.resource}, nil
}

// conditionalCreate creates e through the store's race-free conditional
// create; a PUT whose criteria a concurrent Bundle satisfied first updates
// the resource that Bundle made.
//
// final says e.resource is not changed afterwards, so its tree may go to
// the store with the JSON (store.Input.Node).
func (p *Processor) conditionalCreate(ctx context.Context, tx store.Tx, e *entry, final bool) error {
	setID(e.resource, "")
	body, err := fhirjson.Marshal(e.resource)
	if err != nil {
		return err
	}
	in := store.Input{Institution: p.Institution, Type: e.typ, JSON: body}
	if final {
		in.Node = e.resource
	}
	r, created, err := tx.CreateIfNoneExist(ctx, in, e.query)
	if err != nil {
		return err
	}
	e.id = r.ID
	status := StatusCreated
	if !created {
		status = StatusOK
		if e.method == MethodPut {
			in, err := p.input(e)
			if err != nil {
				return err
			}
			if !final {
				in.Node = nil
			}
			if r, _, err = tx.Update(ctx, in); err != nil {
				return err
			}
		}
	}
	e.resp = written(status, r)
	return nil
}

func setID(n *fhir.Node, id string) {
	kept := n.Children[:0]
	for _, c := range n.Children {
		if c.Name != "id" {
			kept = append(kept, c)
		}
	}
	n.Children = kept
	if id != "" {
		def := model.LookupType(n.Type).Element(n.Type + ".id")
		n.Children = append([]*fhir.Node{{Name: "id", Type: "id", Def: def, Value: id}}, n.Children...)
	}
}

func written(status int, r *store.Resource) Response {
	return Response{
		Status:       status,
		Location:     fmt.Sprintf("%s/%s/_history/%d", r.Type, r.ID, r.Version),
		ETag:         fmt.Sprintf(`W/"%d"`, r.Version),
		LastModified: r.LastUpdated,
		Resource:     r.JSON,
	}
}

// write executes a non-conditional-create entry inside tx.
func (p *Processor) write(ctx context.Context, tx store.Tx, e *entry) error {
	switch e.method {
	case MethodDelete:
		if e.id == "" { // conditional delete that matched nothing
			e.resp = Response{Status: StatusNoContent}
			return nil
		}
		r, err := tx.Delete(ctx, store.Ref{Type: e.typ, ID: e.id}, e.ifMatch)
		if err != nil && fhir.KindOf(err) != fhir.KindNotFound {
			return err
		}
		e.resp = Response{Status: StatusNoContent}
		if r != nil {
			e.resp.ETag = fmt.Sprintf(`W/"%d"`, r.Version)
		}
		return nil
	case MethodPost:
		if e.query != "" && len(e.matched) == 1 { // ifNoneExist matched: nothing to write
			e.resp = written(StatusOK, e.matched[0])
			return nil
		}
		in, err := p.input(e)
		if err != nil {
			return err
		}
		var r *store.Resource
		if fc, ok := tx.(store.FreshCreator); ok && !e.conditional {
			r, err = fc.CreateFresh(ctx, in) // e.id is new (apply, step 2)
		} else {
			r, _, err = tx.Update(ctx, in)
		}
		if err != nil {
			return err
		}
		e.resp = written(StatusCreated, r)
		return nil
	case MethodPut:
		if rid := e.resource.ID(); rid != "" && e.query == "" && rid != e.id {
			return invalid(e.loc+".resource.id", "resource id %s differs from the url's %s", rid, e.id)
		}
		in, err := p.input(e)
		if err != nil {
			return err
		}
		r, created, err := tx.Update(ctx, in)
		if err != nil {
			return err
		}
		status := StatusOK
		if created {
			status = StatusCreated
		}
		e.resp = written(status, r)
		return nil
	case MethodPatch:
		cur, err := tx.Read(ctx, store.Ref{Type: e.typ, ID: e.id})
		if err != nil {
			return err
		}
		if e.ifMatch > 0 && e.ifMatch != cur.Version {
			return fhir.Errorf(fhir.KindPrecondition, "ifMatch %d but %s/%s is at version %d", e.ifMatch, e.typ, e.id, cur.Version)
		}
		patched, err := Patch(ctx, cur, e.patchBody)
		if err != nil {
			return err
		}
		body, err := fhirjson.Marshal(patched)
		if err != nil {
			return err
		}
		r, _, err := tx.Update(ctx, store.Input{Institution: p.Institution, Type: e.typ, ID: e.id, JSON: body,
			IfMatch: cur.Version, Node: patched})
		if err != nil {
			return err
		}
		e.resp = written(StatusOK, r)
		return nil
	}
	return nil
}

// Patch applies a FHIRPath Patch (Parameters) or a JSON Patch (Binary with
// contentType application/json-patch+json) to a stored resource.
func Patch(ctx context.Context, cur *store.Resource, body *fhir.Node) (*fhir.Node, error) {
	n, err := fhirjson.Unmarshal(cur.JSON)
	if err != nil {
		return nil, err
	}
	switch body.Type {
	case "Parameters":
		return patch.FHIRPath(ctx, n, body)
	case "Binary":
		data, err := base64.StdEncoding.DecodeString(body.ChildValue("data"))
		if err != nil {
			return nil, invalid("Binary.data", "the JSON Patch is not valid base64: %v", err)
		}
		return patch.JSON(n, data)
	}
	return nil, invalid("", "a patch is a Parameters or a Binary resource")
}

// read answers a GET entry after the writes.
func (p *Processor) read(ctx context.Context, e *entry) {
	if p.Reader != nil {
		status, body, err := p.Reader(ctx, e.url)
		if err != nil {
			e.resp = Response{Status: statusOf(err), Outcome: fhir.IssuesOf(err)}
			return
		}
		e.resp = Response{Status: status, Resource: body}
		return
	}
	parts := strings.Split(strings.SplitN(e.url, "?", 2)[0], "/")
	if len(parts) != 2 {
		e.resp = Response{Status: StatusNotImplemented, Outcome: []fhir.Issue{{Severity: fhir.SeverityError,
			Code: "not-supported", Diagnostic: "only reads by id are answered in a Bundle here"}}}
		return
	}
	r, err := p.Store.Read(ctx, store.Ref{Type: parts[0], ID: parts[1]})
	if err != nil {
		e.resp = Response{Status: statusOf(err), Outcome: fhir.IssuesOf(err)}
		return
	}
	e.resp = written(StatusOK, r)
	e.resp.Location = ""
}

// readIn answers a GET entry by id from inside a transaction.
func (p *Processor) readIn(ctx context.Context, tx store.Tx, e *entry) {
	parts := strings.Split(strings.SplitN(e.url, "?", 2)[0], "/")
	if len(parts) != 2 {
		e.resp = Response{Status: StatusNotImplemented, Outcome: []fhir.Issue{{Severity: fhir.SeverityError,
			Code: "not-supported", Diagnostic: "only reads by id are answered inside a transaction"}}}
		return
	}
	r, err := tx.Read(ctx, store.Ref{Type: parts[0], ID: parts[1]})
	if err != nil {
		e.resp = Response{Status: statusOf(err), Outcome: fhir.IssuesOf(err)}
		return
	}
	e.resp = written(StatusOK, r)
	e.resp.Location = ""
}

// batch runs every entry on its own.
func (p *Processor) batch(ctx context.Context, entries []*entry) []Response {
	out := make([]Response, len(entries))
	for _, e := range entries {
		if e.method == MethodGet || e.method == MethodHead {
			p.read(ctx, e)
			out[e.index] = e.resp
			continue
		}
		err := p.transaction(ctx, []*entry{e})
		if err != nil {
			out[e.index] = Response{Status: statusOf(err), Outcome: fhir.IssuesOf(err)}
			continue
		}
		out[e.index] = e.resp
	}
	return out
}

// statusOf is the Bundle.entry.response.status of an error.
func statusOf(err error) int { return fhir.KindOf(err).Status() }
