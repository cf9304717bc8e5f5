package search

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"yigong/fhir"
	"yigong/fhir/empi"
	"yigong/fhir/fhirpath"
	"yigong/fhir/model"
	"yigong/fhir/store"
	"yigong/profiles/cn"
)

// Params looks search parameters up by resource type and code; [*Indexer]
// implements it (core parameters and SearchParameter resources), and so does
// [Builtin] (core parameters only).
type Params interface {
	Lookup(resourceType, code string) *model.SearchParam
	LookupURL(url string) *model.SearchParam
}

// Builtin looks up the 1,378 core R4 search parameters.
type Builtin struct{}

// Lookup implements Params.
func (Builtin) Lookup(resourceType, code string) *model.SearchParam {
	return model.LookupSearchParam(resourceType, code)
}

// LookupURL implements Params.
func (Builtin) LookupURL(u string) *model.SearchParam { return lookupCoreURL(u) }

func lookupCoreURL(u string) *model.SearchParam {
	all := model.AllSearchParams()
	for i := range all {
		if all[i].URL == u {
			return &all[i]
		}
	}
	return nil
}

// Plan is a parsed search: the store query and what the REST layer applies
// to the page (_summary, _elements).
type Plan struct {
	Query    store.SearchQuery
	Summary  string   // "", "true", "text", "data", "count", "false"
	Elements []string // _elements
	// Issues are the problems a lenient parse ignored (warnings).
	Issues []fhir.Issue
	// Used is the query as understood (ignored parameters and the paging
	// cursor left out), for self and paging links.
	Used url.Values
}

// ParseOptions configure Parse.
type ParseOptions struct {
	// Lenient ignores unknown and malformed parameters, reporting them in
	// Plan.Issues (Prefer: handling=lenient); otherwise they are an error.
	Lenient bool
	// BaseURL is the server's FHIR base: absolute references under it are
	// local.
	BaseURL string
	// Now anchors the ap prefix on dates; zero means time.Now.
	Now time.Time
	// Codes answers token :above and :below; nil makes them unsupported.
	Codes CodeHierarchy
}

// CodeHierarchy returns the codes of system that subsume code (above) or
// that code subsumes (below), code itself included, for token :above and
// :below (http://hl7.org/fhir/R4/search.html#token). A code system it does
// not hold entirely is an error of kind fhir.KindNotSupported: never a
// partial answer.
type CodeHierarchy func(system, code string, above bool) ([]string, error)

// Result parameters: they shape the answer rather than select resources.
var resultParams = map[string]bool{
	"_count": true, "_sort": true, "_include": true, "_revinclude": true, "_total": true,
	"_summary": true, "_elements": true, "_format": true, "_pretty": true, "_cursor": true,
	"_include:iterate": true, "_revinclude:iterate": true, "_include:recurse": true, "_revinclude:recurse": true,
}

// Parse turns a search query into a Plan for resourceType ("" for a system
// search, where _type names the types). Errors are *fhir.Error of kind
// Invalid with one issue per bad parameter, its name as the location.
func Parse(ps Params, resourceType string, q url.Values, opts ParseOptions) (*Plan, error) {
	p := &parser{ps: ps, opts: opts, plan: &Plan{Used: url.Values{}}}
	if p.opts.Now.IsZero() {
		p.opts.Now = time.Now()
	}
	p.plan.Query.Type = resourceType
	if resourceType == "" {
		for _, v := range q["_type"] {
			p.plan.Used.Add("_type", v)
			for _, t := range splitList(v) {
				if !model.IsResourceType(t) {
					p.fail("_type", "unknown resource type %q", t)
					continue
				}
				p.plan.Query.Types = append(p.plan.Query.Types, t)
			}
		}
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if k == "_type" && resourceType == "" {
			continue
		}
		for _, v := range q[k] {
			if resultParams[k] {
				p.result(k, v)
				continue
			}
			fs, err := p.param(p.ctxType(), k, v, 0)
			if err != nil {
				if fhir.KindOf(err) == fhir.KindNotSupported {
					// Never dropped, even when lenient: the answer would
					// not be the one asked for.
					p.notSupported = append(p.notSupported, fhir.Issue{Severity: fhir.SeverityError, Code: "not-supported",
						Diagnostic: fmt.Sprintf("search parameter %s: %v", k, err), Expression: k})
					continue
				}
				p.fail(k, "%v", err)
				continue
			}
			p.plan.Query.Filters = append(p.plan.Query.Filters, fs...)
			p.plan.Used.Add(k, v)
		}
	}
	if len(p.notSupported) > 0 {
		return nil, &fhir.Error{Kind: fhir.KindInvalid, Msg: "search: not supported", Issues: append(p.notSupported, p.errs...)}
	}
	if len(p.errs) > 0 && !opts.Lenient {
		return nil, &fhir.Error{Kind: fhir.KindInvalid, Msg: "search: invalid search", Issues: p.errs}
	}
	for _, is := range p.errs {
		is.Severity = fhir.SeverityWarning
		p.plan.Issues = append(p.plan.Issues, is)
	}
	return p.plan, nil
}

type parser struct {
	ps   Params
	opts ParseOptions
	plan *Plan
	errs []fhir.Issue
	// notSupported are the parameters that cannot be answered: fatal,
	// even when lenient.
	notSupported []fhir.Issue
}

// ctxType is the type parameters are looked up on: the searched type, or
// Resource for a system search.
func (p *parser) ctxType() string {
	if t := p.plan.Query.Type; t != "" {
		return t
	}
	if len(p.plan.Query.Types) == 1 {
		return p.plan.Query.Types[0]
	}
	return "DomainResource"
}

func (p *parser) fail(param, format string, args ...any) {
	p.errs = append(p.errs, fhir.Issue{Severity: fhir.SeverityError, Code: "invalid",
		Diagnostic: fmt.Sprintf("search parameter %s: ", param) + fmt.Sprintf(format, args...), Expression: param})
}

// result handles one result parameter.
func (p *parser) result(k, v string) {
	q := &p.plan.Query
	switch k {
	case "_format", "_pretty", "_cursor":
		if k == "_cursor" {
			q.Cursor = v
		}
		return
	case "_count":
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			p.fail(k, "%q is not a non-negative integer", v)
			return
		}
		q.Count = min(n, store.MaxCount)
		if n == 0 {
			q.OnlyTotal = true
		}
	case "_total":
		switch v {
		case "none":
		case "estimate", "accurate":
			q.Total = true
		default:
			p.fail(k, "%q is not none, estimate or accurate", v)
			return
		}
	case "_summary":
		switch v {
		case "true", "text", "data", "false":
			p.plan.Summary = v
		case "count":
			p.plan.Summary = v
			q.OnlyTotal, q.Total = true, true
		default:
			p.fail(k, "%q is not true, text, data, count or false", v)
			return
		}
	case "_elements":
		for _, e := range splitList(v) {
			if e = strings.TrimSpace(e); e != "" {
				p.plan.Elements = append(p.plan.Elements, e)
			}
		}
	case "_sort":
		for _, s := range splitList(v) {
			key := store.SortKey{Param: strings.TrimPrefix(s, "-"), Desc: strings.HasPrefix(s, "-")}
			switch key.Param {
			case store.ParamID, store.ParamLastUpdated:
			default:
				def := p.ps.Lookup(p.ctxType(), key.Param)
				pt, ok := paramTypes[defType(def)]
				if !ok {
					p.fail(k, "cannot sort by %q: not a sortable parameter of %s", key.Param, p.ctxType())
					return
				}
				key.Type = pt
			}
			q.Sort = append(q.Sort, key)
		}
	default: // _include, _revinclude, with :iterate
		name, mod, _ := strings.Cut(k, ":")
		inc := store.Include{Rev: name == "_revinclude", Iterate: mod == "iterate" || mod == "recurse"}
		if v == "*" {
			inc.Source, inc.Param = p.ctxType(), "*"
		} else {
			parts := strings.Split(v, ":")
			if len(parts) < 2 || len(parts) > 3 {
				p.fail(k, "%q is not Type:parameter[:targetType]", v)
				return
			}
			inc.Source, inc.Param = parts[0], parts[1]
			if len(parts) == 3 {
				inc.Target = parts[2]
				if !model.IsResourceType(inc.Target) {
					p.fail(k, "unknown target type %q", inc.Target)
					return
				}
			}
			if !model.IsResourceType(inc.Source) {
				p.fail(k, "unknown resource type %q", inc.Source)
				return
			}
			if inc.Param != "*" {
				if def := p.ps.Lookup(inc.Source, inc.Param); def == nil || def.Type != "reference" {
					p.fail(k, "%s has no reference parameter %q", inc.Source, inc.Param)
					return
				}
			}
			if !inc.Rev && !inc.Iterate && p.plan.Query.Type != "" && inc.Source != p.plan.Query.Type {
				p.fail(k, "%q: the source type must be %s (or use :iterate)", v, p.plan.Query.Type)
				return
			}
		}
		q.Include = append(q.Include, inc)
	}
	p.plan.Used.Add(k, v)
}

func defType(def *model.SearchParam) string {
	if def == nil {
		return ""
	}
	return def.Type
}

// maxChain bounds chaining and _has depth.
const maxChain = 5

// param parses one filter parameter name=value on typ into filters (one,
// or none for parameters that select everything).
func (p *parser) param(typ, name, value string, depth int) ([]store.Filter, error) {
	if depth > maxChain {
		return nil, fmt.Errorf("chained deeper than %d", maxChain)
	}
	if rest, ok := strings.CutPrefix(name, "_has:"); ok {
		parts := strings.SplitN(rest, ":", 3)
		if len(parts) != 3 {
			return nil, fmt.Errorf("_has takes _has:Type:reference:parameter")
		}
		src, ref := parts[0], parts[1]
		if !model.IsResourceType(src) {
			return nil, fmt.Errorf("_has: unknown resource type %q", src)
		}
		if def := p.ps.Lookup(src, ref); def == nil || def.Type != "reference" {
			return nil, fmt.Errorf("_has: %s has no reference parameter %q", src, ref)
		}
		inner, err := p.param(src, parts[2], value, depth+1)
		if err != nil {
			return nil, err
		}
		return []store.Filter{{Has: &store.Has{Type: src, Param: ref, Filters: inner}}}, nil
	}
	head, tail, chained := strings.Cut(name, ".")
	code, mod, _ := strings.Cut(head, ":")
	switch code {
	case "_id":
		return p.idParam(mod, value)
	case "_lastUpdated":
		if mod != "" && mod != "missing" {
			return nil, fmt.Errorf("modifier :%s is not allowed on a date", mod)
		}
		return p.simple(store.Filter{Param: store.ParamLastUpdated, Type: store.ParamDate, Modifier: mod}, store.ParamDate, value)
	case "_list":
		ids := splitList(value)
		return []store.Filter{{Has: &store.Has{Type: "List", Param: "item",
			Filters: []store.Filter{{Param: store.ParamID, Values: idValues(ids)}}}}}, nil
	case "_text", "_content":
		if mod != "" && mod != "missing" {
			return nil, fmt.Errorf("modifier :%s is not supported on %s", mod, code)
		}
		if mod == "" {
			mod = "contains"
		}
		return p.simple(store.Filter{Param: code, Type: store.ParamText, Modifier: mod}, store.ParamString, value)
	}
	def := p.ps.Lookup(typ, code)
	if def == nil {
		return nil, fmt.Errorf("unknown parameter %q of %s", code, typ)
	}
	if chained {
		if def.Type != "reference" {
			return nil, fmt.Errorf("%q is not a reference parameter: it cannot be chained", code)
		}
		targets := def.Target
		if mod != "" {
			if !model.IsResourceType(mod) {
				return nil, fmt.Errorf("chain %q: unknown type modifier :%s", name, mod)
			}
			targets = []string{mod}
		}
		tcode, _, _ := strings.Cut(strings.SplitN(tail, ".", 2)[0], ":")
		var types []string
		var inner []store.Filter
		var firstErr error
		for _, t := range targets {
			if !strings.HasPrefix(tcode, "_") && p.ps.Lookup(t, tcode) == nil {
				continue
			}
			fs, err := p.param(t, tail, value, depth+1)
			if err != nil {
				firstErr = err
				continue
			}
			if inner == nil {
				inner = fs
			}
			types = append(types, t)
		}
		if len(types) == 0 {
			if firstErr != nil {
				return nil, firstErr
			}
			return nil, fmt.Errorf("chain %q: no target of %s has a parameter %q", name, code, tcode)
		}
		sub := &store.SearchQuery{Filters: inner}
		if len(types) == 1 {
			sub.Type = types[0]
		} else {
			sub.Types = types
		}
		return []store.Filter{{Param: code, Type: store.ParamReference, Chain: sub}}, nil
	}
	return p.typed(def, code, mod, value)
}

func idValues(ids []string) []store.FilterValue {
	var vs []store.FilterValue
	for _, id := range ids {
		vs = append(vs, store.FilterValue{Code: id})
	}
	return vs
}

func (p *parser) idParam(mod, value string) ([]store.Filter, error) {
	switch mod {
	case "", "not", "missing":
	default:
		return nil, fmt.Errorf("modifier :%s is not allowed on _id", mod)
	}
	if mod == "missing" {
		return p.simple(store.Filter{Param: store.ParamID, Modifier: mod}, store.ParamToken, value)
	}
	ids := splitList(value)
	for _, id := range ids {
		if id == "" {
			return nil, fmt.Errorf("empty id")
		}
	}
	return []store.Filter{{Param: store.ParamID, Modifier: mod, Values: idValues(ids)}}, nil
}

// modifiers allowed per parameter type (besides :missing).
var modifiers = map[string][]string{
	"string":    {"exact", "contains"},
	"token":     {"text", "not", "in", "not-in", "of-type", "above", "below"},
	"reference": {"identifier"},
	"uri":       {"above", "below"},
}

// typed parses the value of a non-chained parameter by its type.
func (p *parser) typed(def *model.SearchParam, code, mod, value string) ([]store.Filter, error) {
	pt, indexed := paramTypes[def.Type]
	if def.URL == nearURL {
		return p.nearFilter(code, mod, value)
	}
	switch {
	case def.Type == "composite":
		if mod != "" && mod != "missing" {
			return nil, fmt.Errorf("modifier :%s is not allowed on a composite", mod)
		}
		return p.composite(def, code, value)
	case !indexed:
		return nil, fmt.Errorf("parameter %q (%s) is not supported", code, def.Type)
	}
	f := store.Filter{Param: code, Type: pt, Modifier: mod}
	if mod != "" && mod != "missing" && !slices.Contains(modifiers[def.Type], mod) {
		if def.Type == "reference" && model.IsResourceType(mod) {
			if len(def.Target) > 0 && !slices.Contains(def.Target, mod) {
				return nil, fmt.Errorf("%q cannot refer to %s", code, mod)
			}
			f.Modifier = ""
			return p.refValues(f, mod, value)
		}
		return nil, fmt.Errorf("modifier :%s is not allowed on %s parameter %q", mod, def.Type, code)
	}
	switch mod {
	case "of-type":
		if code != "identifier" {
			return nil, fmt.Errorf(":of-type applies to identifier only")
		}
		var vs []store.FilterValue
		for _, v := range splitList(value) {
			parts := splitEscaped(v, '|')
			if len(parts) != 3 || parts[1] == "" || parts[2] == "" {
				return nil, fmt.Errorf(":of-type value %q is not system|code|value", v)
			}
			vs = append(vs, store.FilterValue{System: parts[0], Code: parts[1] + "|" + parts[2], NoSystem: parts[0] == ""})
		}
		return []store.Filter{{Param: code + ":of-type", Type: store.ParamToken, Values: vs}}, nil
	case "identifier":
		f.Param, f.Type, f.Modifier = code+":identifier", store.ParamToken, ""
		fs, err := p.simple(f, store.ParamToken, value)
		if err == nil {
			fs[0].Values = withSystemAliases(fs[0].Values)
		}
		return fs, err
	case "above", "below":
		if def.Type != "token" {
			break
		}
		var vs []store.FilterValue
		for _, v := range splitList(value) {
			parts := splitEscaped(v, '|')
			if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
				return nil, fmt.Errorf(":%s value %q is not system|code (subsumption needs the code system)", mod, v)
			}
			if p.opts.Codes == nil {
				return nil, fhir.Errorf(fhir.KindNotSupported, ":%s on tokens is not available here (no terminology service)", mod)
			}
			codes, err := p.opts.Codes(parts[0], parts[1], mod == "above")
			if err != nil {
				return nil, err
			}
			if len(codes) == 0 {
				return nil, fhir.Errorf(fhir.KindNotSupported, "the code %q is not in the code system %s", parts[1], parts[0])
			}
			for _, c := range codes {
				// As for :in, a code element is indexed without its system.
				vs = append(vs, store.FilterValue{System: parts[0], Code: c}, store.FilterValue{NoSystem: true, Code: c})
			}
		}
		f.Values, f.Modifier = vs, ""
		return []store.Filter{f}, nil
	case "in", "not-in":
		var vs []store.FilterValue
		for _, u := range splitList(value) {
			codes, complete := model.ValueSetCodes(u)
			if len(codes) == 0 || !complete {
				return nil, fmt.Errorf(":%s value set %q is not known to this server (bundled value sets only)", mod, u)
			}
			for _, c := range codes {
				// A code element (gender) is indexed without its implied system.
				vs = append(vs, store.FilterValue{System: c.System, Code: c.Code}, store.FilterValue{NoSystem: true, Code: c.Code})
			}
		}
		f.Values, f.Modifier = vs, ""
		if mod == "not-in" {
			f.Modifier = "not"
		}
		return []store.Filter{f}, nil
	}
	if def.Type == "reference" && mod == "" {
		return p.refValues(f, "", value)
	}
	fs, err := p.simple(f, pt, value)
	if err != nil || f.Modifier == "missing" {
		return fs, err
	}
	switch {
	case def.URL == phoneticURL && (mod == "" || mod == "contains"):
		// Indexed as empi.PhoneticKeys: "Wáng Xiǎodōng", "wang xiaodong"
		// and 王小东 all become "wangxiaodong".
		for i := range fs[0].Values {
			fs[0].Values[i].Text = empi.PhoneticQuery(fs[0].Values[i].Text)
		}
	case pt == store.ParamToken && mod != "text":
		fs[0].Values = withSystemAliases(fs[0].Values)
	}
	return fs, nil
}

// phoneticURL is the R4 `phonetic` parameter of Patient, Person,
// Practitioner and RelatedPerson, indexed with pinyin keys.
const phoneticURL = "http://hl7.org/fhir/SearchParameter/individual-phonetic"

// withSystemAliases adds, for each token value whose system has aliases
// (profiles/cn: the resident ID's two OIDs, bare OIDs), the value under its
// canonical system and every alias. Identifiers are indexed under the
// canonical system; the aliases keep matching Codings, which are indexed as
// written, and rows indexed before canonicalisation.
func withSystemAliases(vs []store.FilterValue) []store.FilterValue {
	out := vs
	for _, v := range vs {
		if v.System == "" {
			continue
		}
		for _, a := range cn.Aliases(v.System) {
			if a != v.System {
				w := v
				w.System = a
				out = append(out, w)
			}
		}
	}
	return out
}

// simple parses the comma-separated values of f (or a :missing flag).
func (p *parser) simple(f store.Filter, pt store.ParamType, value string) ([]store.Filter, error) {
	if f.Modifier == "missing" {
		switch value {
		case "true", "false":
			f.Values = []store.FilterValue{{Missing: value == "true"}}
			return []store.Filter{f}, nil
		}
		return nil, fmt.Errorf(":missing takes true or false, not %q", value)
	}
	for _, v := range splitList(value) {
		fv, err := p.value(pt, f.Modifier, v)
		if err != nil {
			return nil, err
		}
		f.Values = append(f.Values, fv)
	}
	if len(f.Values) == 0 {
		return nil, fmt.Errorf("no value")
	}
	return []store.Filter{f}, nil
}

// refValues parses reference values; typ is a :[type] modifier.
func (p *parser) refValues(f store.Filter, typ, value string) ([]store.Filter, error) {
	if f.Modifier == "missing" {
		return p.simple(f, store.ParamReference, value)
	}
	for _, v := range splitList(value) {
		fv, err := p.reference(typ, unescape(v))
		if err != nil {
			return nil, err
		}
		f.Values = append(f.Values, fv)
	}
	return []store.Filter{f}, nil
}

// reference parses one reference value (Type/id, id, or an absolute URL;
// the server's own base is dropped); typ is a :[type] modifier or "".
func (p *parser) reference(typ, v string) (store.FilterValue, error) {
	if v == "" {
		return store.FilterValue{}, fmt.Errorf("empty reference")
	}
	fv := store.FilterValue{RefType: typ}
	if base := strings.TrimRight(p.opts.BaseURL, "/"); base != "" {
		v = strings.TrimPrefix(v, base+"/")
	}
	switch {
	case strings.Contains(v, "://") || strings.HasPrefix(v, "urn:"):
		fv.URL, _, _ = strings.Cut(v, "|")
	default:
		if t, id, ok := splitLocalRef(v); ok {
			if typ != "" && t != typ {
				return fv, fmt.Errorf("reference %q is not a %s", v, typ)
			}
			fv.RefType, fv.RefID = t, id
		} else if strings.Contains(v, "/") {
			return fv, fmt.Errorf("%q is not a reference (Type/id, id or URL)", v)
		} else {
			fv.RefID = v
		}
	}
	return fv, nil
}

// composite parses "a$b" values of a composite parameter.
func (p *parser) composite(def *model.SearchParam, code, value string) ([]store.Filter, error) {
	f := store.Filter{Param: code, Type: store.ParamComposite}
	types, err := p.componentTypes(def)
	if err != nil {
		return nil, err
	}
	f.Components = types
	for _, v := range splitList(value) {
		parts := splitEscaped(v, '$')
		if len(parts) != len(types) {
			return nil, fmt.Errorf("composite value %q has %d parts, %q has %d components", v, len(parts), code, len(types))
		}
		var fv store.FilterValue
		for k, part := range parts {
			cv, err := p.value(types[k], "", part)
			if err != nil {
				return nil, fmt.Errorf("component %d: %w", k+1, err)
			}
			fv.Components = append(fv.Components, cv)
		}
		f.Values = append(f.Values, fv)
	}
	return []store.Filter{f}, nil
}

func (p *parser) componentTypes(def *model.SearchParam) ([]store.ParamType, error) {
	var types []store.ParamType
	for _, c := range def.Component {
		cd := p.ps.LookupURL(c.Definition)
		pt, ok := paramTypes[defType(cd)]
		if !ok {
			return nil, fmt.Errorf("composite %q: component %s is not supported", def.Code, c.Definition)
		}
		types = append(types, pt)
	}
	if len(types) < 2 {
		return nil, fmt.Errorf("composite %q has no usable components", def.Code)
	}
	return types, nil
}

var prefixes = []string{"eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"}

func cutPrefix(v string) (string, string) {
	if len(v) > 2 && slices.Contains(prefixes, v[:2]) {
		return v[:2], v[2:]
	}
	return "", v
}

// value parses one value of a parameter of type pt.
func (p *parser) value(pt store.ParamType, mod, v string) (store.FilterValue, error) {
	var fv store.FilterValue
	switch pt {
	case store.ParamString, store.ParamURI:
		fv.Text = unescape(v)
		if fv.Text == "" {
			return fv, fmt.Errorf("empty value")
		}
	case store.ParamToken:
		if mod == "text" {
			fv.Text = unescape(v)
			return fv, nil
		}
		parts := splitEscaped(v, '|')
		switch len(parts) {
		case 1:
			fv.Code = parts[0]
		case 2:
			fv.System, fv.Code = parts[0], parts[1]
			fv.NoSystem = parts[0] == ""
		default:
			return fv, fmt.Errorf("token %q has more than one |", v)
		}
		if fv.Code == "" && fv.System == "" {
			return fv, fmt.Errorf("empty token")
		}
	case store.ParamDate:
		prefix, s := cutPrefix(v)
		lo, hi, ok := DateRange(s)
		if !ok {
			return fv, fmt.Errorf("%q is not a date, dateTime or instant (with an optional prefix %s)", v, strings.Join(prefixes, " "))
		}
		fv.Prefix, fv.Lo, fv.Hi = prefix, lo, hi
		if prefix == "ap" {
			gap := p.opts.Now.Sub(lo)
			if gap < 0 {
				gap = -gap
			}
			gap = max(gap/10, hi.Sub(lo))
			fv.Lo, fv.Hi = lo.Add(-gap), hi.Add(gap)
		}
	case store.ParamNumber:
		prefix, s := cutPrefix(v)
		n, lo, hi, err := number(s)
		if err != nil {
			return fv, err
		}
		fv.Prefix, fv.Num, fv.NumLo, fv.NumHi = prefix, n, lo, hi
	case store.ParamQuantity:
		prefix, s := cutPrefix(v)
		parts := splitEscaped(s, '|')
		if len(parts) != 1 && len(parts) != 3 {
			return fv, fmt.Errorf("quantity %q is not [prefix]number|system|code", v)
		}
		n, lo, hi, err := number(parts[0])
		if err != nil {
			return fv, err
		}
		fv.Prefix, fv.Num, fv.NumLo, fv.NumHi = prefix, n, lo, hi
		if len(parts) == 3 {
			fv.System, fv.Code = parts[1], parts[2]
			if (fv.System == ucumSystem || fv.System == "") && fv.Code != "" {
				if f, canon, ok := fhirpath.CanonicalUnit(fv.Code); ok {
					fv.Canonical, fv.Code, fv.System = true, canon, ""
					fv.Num, fv.NumLo, fv.NumHi = n*f, lo*f, hi*f
				}
			}
		}
	case store.ParamReference:
		return p.reference("", unescape(v))
	}
	return fv, nil
}

const ucumSystem = "http://unitsofmeasure.org"

// number parses a decimal search value and the range its precision implies.
func number(s string) (n, lo, hi float64, err error) {
	lo, hi, ok := numberRange(s)
	if !ok || strings.ContainsAny(s, "xXnN") {
		return 0, 0, 0, fmt.Errorf("%q is not a number", s)
	}
	n, _ = strconv.ParseFloat(s, 64)
	if math.IsInf(n, 0) {
		return 0, 0, 0, fmt.Errorf("%q is out of range", s)
	}
	return n, lo, hi, nil
}

// splitList splits a value on the commas that are not escaped (\,).
func splitList(v string) []string { return splitEscaped(v, ',') }

// splitEscaped splits v on sep except where escaped with a backslash; the
// parts keep their other escapes (\$ \| \\) for unescape.
func splitEscaped(v string, sep byte) []string {
	var out []string
	start := 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case sep:
			out = append(out, unescapeOne(v[start:i], sep))
			start = i + 1
		}
	}
	return append(out, unescapeOne(v[start:], sep))
}

func unescapeOne(s string, sep byte) string {
	return strings.ReplaceAll(s, `\`+string(sep), string(sep))
}

// unescape removes the search escapes \, \$ \| \\.
func unescape(s string) string {
	return strings.NewReplacer(`\,`, `,`, `\$`, `$`, `\|`, `|`, `\\`, `\`).Replace(s)
}

// Searchable returns the core parameters of resourceType that Parse accepts
// and the store answers: every indexed one (its own and those of its bases),
// composites whose components are indexed, and _id, _lastUpdated, _text,
// _content and _list. Special parameters (near, _query, _filter) are not
// among them.
func Searchable(resourceType string) []*model.SearchParam {
	var out []*model.SearchParam
	for _, sp := range model.SearchParams(resourceType) {
		switch sp.Code {
		case "_id", "_lastUpdated", "_text", "_content", "_list":
			out = append(out, sp)
			continue
		}
		if p, err := compile(sp, lookupCoreURL); err == nil && p != nil {
			out = append(out, sp)
		}
	}
	return out
}
