package fhirpath

import (
	"cmp"
	"fmt"
	"slices"
)

// funcDef describes a function: its arity and implementation. impl
// receives the input collection and the call (for its arguments, which it
// evaluates itself so that lambdas see their own $this).
type funcDef struct {
	minArgs, maxArgs int  // maxArgs -1: any number
	typeArg          bool // the first argument is a type specifier
	impl             func(st *state, fr *frame, in Collection, c *callExpr) (Collection, error)
}

// functions is the read-only function table, resolved at parse time.
var functions = map[string]*funcDef{
	// Existence
	"empty":      {0, 0, false, fnEmpty},
	"exists":     {0, 1, false, fnExists},
	"all":        {1, 1, false, fnAll},
	"allTrue":    {0, 0, false, boolAgg(true, true)},
	"anyTrue":    {0, 0, false, boolAgg(false, true)},
	"allFalse":   {0, 0, false, boolAgg(true, false)},
	"anyFalse":   {0, 0, false, boolAgg(false, false)},
	"subsetOf":   {1, 1, false, fnSubsetOf},
	"supersetOf": {1, 1, false, fnSupersetOf},
	"count":      {0, 0, false, fnCount},
	"distinct":   {0, 0, false, fnDistinct},
	"isDistinct": {0, 0, false, fnIsDistinct},
	// Filtering and projection
	"where":  {1, 1, false, fnWhere},
	"select": {1, 1, false, fnSelect},
	"repeat": {1, 1, false, fnRepeat},
	"ofType": {1, 1, true, fnOfType},
	// Subsetting
	"single":    {0, 0, false, fnSingle},
	"first":     {0, 0, false, fnFirst},
	"last":      {0, 0, false, fnLast},
	"tail":      {0, 0, false, fnTail},
	"skip":      {1, 1, false, fnSkip},
	"take":      {1, 1, false, fnTake},
	"intersect": {1, 1, false, fnIntersect},
	"exclude":   {1, 1, false, fnExclude},
	// Combining
	"union":   {1, 1, false, fnUnion},
	"combine": {1, 1, false, fnCombine},
	// Conversion
	"iif":                {2, 3, false, fnIif},
	"toBoolean":          {0, 0, false, converter(toBoolean, false)},
	"convertsToBoolean":  {0, 0, false, converter(toBoolean, true)},
	"toInteger":          {0, 0, false, converter(toInteger, false)},
	"convertsToInteger":  {0, 0, false, converter(toInteger, true)},
	"toDecimal":          {0, 0, false, converter(toDecimalValue, false)},
	"convertsToDecimal":  {0, 0, false, converter(toDecimalValue, true)},
	"toString":           {0, 0, false, converter(toStringValue, false)},
	"convertsToString":   {0, 0, false, converter(toStringValue, true)},
	"toDate":             {0, 0, false, converter(toDate, false)},
	"convertsToDate":     {0, 0, false, converter(toDate, true)},
	"toDateTime":         {0, 0, false, converter(toDateTime, false)},
	"convertsToDateTime": {0, 0, false, converter(toDateTime, true)},
	"toTime":             {0, 0, false, converter(toTime, false)},
	"convertsToTime":     {0, 0, false, converter(toTime, true)},
	"toQuantity":         {0, 1, false, fnToQuantity(false)},
	"convertsToQuantity": {0, 1, false, fnToQuantity(true)},
	// Strings
	"indexOf":        {1, 1, false, fnIndexOf},
	"substring":      {1, 2, false, fnSubstring},
	"startsWith":     {1, 1, false, strPred(func(s, a string) bool { return len(s) >= len(a) && s[:len(a)] == a })},
	"endsWith":       {1, 1, false, strPred(func(s, a string) bool { return len(s) >= len(a) && s[len(s)-len(a):] == a })},
	"contains":       {1, 1, false, strPred(stringsContains)},
	"upper":          {0, 0, false, strMap(upper)},
	"lower":          {0, 0, false, strMap(lower)},
	"replace":        {2, 2, false, fnReplace},
	"matches":        {1, 1, false, fnMatches(false)},
	"matchesFull":    {1, 1, false, fnMatches(true)},
	"replaceMatches": {2, 2, false, fnReplaceMatches},
	"length":         {0, 0, false, fnLength},
	"toChars":        {0, 0, false, fnToChars},
	"trim":           {0, 0, false, strMap(trim)},
	"split":          {1, 1, false, fnSplit},
	"join":           {0, 1, false, fnJoin},
	"encode":         {1, 1, false, fnEncode},
	"decode":         {1, 1, false, fnDecode},
	"escape":         {1, 1, false, fnEscape},
	"unescape":       {1, 1, false, fnUnescape},
	// Math
	"abs":      {0, 0, false, fnAbs},
	"ceiling":  {0, 0, false, fnCeiling},
	"floor":    {0, 0, false, fnFloor},
	"truncate": {0, 0, false, fnTruncate},
	"round":    {0, 1, false, fnRound},
	"exp":      {0, 0, false, floatFn("exp")},
	"ln":       {0, 0, false, floatFn("ln")},
	"sqrt":     {0, 0, false, floatFn("sqrt")},
	"log":      {1, 1, false, fnLog},
	"power":    {1, 1, false, fnPower},
	// Tree navigation
	"children":    {0, 0, false, fnChildren},
	"descendants": {0, 0, false, fnDescendants},
	// Utility
	"trace":     {1, 2, false, fnTrace},
	"now":       {0, 0, false, fnNow},
	"today":     {0, 0, false, fnToday},
	"timeOfDay": {0, 0, false, fnTimeOfDay},
	"aggregate": {1, 2, false, fnAggregate},
	"not":       {0, 0, false, fnNot},
	"sort":      {0, -1, false, fnSort},
	// Types
	"is": {1, 1, true, func(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
		return isType(in, c.spec, st.env.InvariantCompat)
	}},
	"as": {1, 1, true, func(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
		return asFunction(in, c.spec, st.env.InvariantCompat)
	}},
	"type": {0, 0, false, fnType},
	// Precision
	"lowBoundary":  {0, 1, false, fnBoundary(false)},
	"highBoundary": {0, 1, false, fnBoundary(true)},
	"precision":    {0, 0, false, fnPrecision},
	"comparable":   {1, 1, false, fnComparable},
	// FHIR additions (http://hl7.org/fhir/R4/fhirpath.html#functions)
	"extension":  {1, 1, false, fnExtension},
	"hasValue":   {0, 0, false, fnHasValue},
	"getValue":   {0, 0, false, fnGetValue},
	"resolve":    {0, 0, false, fnResolve},
	"memberOf":   {1, 1, false, fnMemberOf},
	"htmlChecks": {0, 0, false, fnHTMLChecks},
	"conformsTo": {1, 1, false, fnConformsTo},
	"subsumes":   {1, 1, false, fnNotSupported},
	"subsumedBy": {1, 1, false, fnNotSupported},
}

// arg evaluates argument i in the caller's frame.
func (st *state) arg(fr *frame, c *callExpr, i int) (Collection, error) {
	if i >= len(c.args) {
		return nil, nil
	}
	return c.args[i].eval(st, fr)
}

// lambda evaluates argument e with $this = item and $index = i.
func (st *state) lambda(e expr, fr *frame, item Item, i int) (Collection, error) {
	if err := st.tick(); err != nil {
		return nil, err
	}
	f := frame{this: Collection{item}, index: i, total: fr.total, hasTotal: fr.hasTotal, lenient: fr.lenient}
	return e.eval(st, &f)
}

// criterion evaluates a where/exists/all criterion for one item.
func (st *state) criterion(e expr, fr *frame, item Item, i int, fname string) (val, known bool, err error) {
	r, err := st.lambda(e, fr, item, i)
	if err != nil {
		return false, false, err
	}
	return boolOperand(r, fname)
}

func fnEmpty(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	return boolColl(len(in) == 0), nil
}

func fnExists(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	if len(c.args) == 0 {
		return boolColl(len(in) > 0), nil
	}
	for i, it := range in {
		v, k, err := st.criterion(c.args[0], fr, it, i, "exists")
		if err != nil {
			return nil, err
		}
		if k && v {
			return boolColl(true), nil
		}
	}
	return boolColl(false), nil
}

func fnAll(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	for i, it := range in {
		v, k, err := st.criterion(c.args[0], fr, it, i, "all")
		if err != nil {
			return nil, err
		}
		if !k || !v {
			return boolColl(false), nil
		}
	}
	return boolColl(true), nil
}

// boolAgg builds allTrue (all, true), anyTrue (any, true), allFalse, anyFalse.
func boolAgg(all, want bool) func(*state, *frame, Collection, *callExpr) (Collection, error) {
	return func(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
		for _, it := range in {
			v, ok := it.Value()
			b, isB := v.(Boolean)
			if !ok || !isB {
				return nil, errorf("expected booleans, got %s", it.Type())
			}
			if all && bool(b) != want {
				return boolColl(false), nil
			}
			if !all && bool(b) == want {
				return boolColl(true), nil
			}
		}
		return boolColl(all), nil
	}
}

func fnSubsetOf(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	other, err := st.arg(fr, c, 0)
	if err != nil {
		return nil, err
	}
	for _, it := range in {
		if !containsItem(other, it) {
			return boolColl(false), nil
		}
	}
	return boolColl(true), nil
}

func fnSupersetOf(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	other, err := st.arg(fr, c, 0)
	if err != nil {
		return nil, err
	}
	for _, it := range other {
		if !containsItem(in, it) {
			return boolColl(false), nil
		}
	}
	return boolColl(true), nil
}

func fnCount(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	return single(Integer(len(in))), nil
}

func fnDistinct(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	return union(in, nil), nil
}

func fnIsDistinct(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	return boolColl(len(union(in, nil)) == len(in)), nil
}

func fnWhere(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	var out Collection
	for i, it := range in {
		v, k, err := st.criterion(c.args[0], fr, it, i, "where")
		if err != nil {
			return nil, err
		}
		if k && v {
			out = append(out, it)
		}
	}
	return out, nil
}

func fnSelect(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	var out Collection
	for i, it := range in {
		r, err := st.lambda(c.args[0], fr, it, i)
		if err != nil {
			return nil, err
		}
		out = append(out, r...)
	}
	return out, nil
}

// maxRepeat bounds repeat() on self-feeding projections of System values.
const maxRepeat = 100000

func fnRepeat(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	var out Collection
	seen := map[any]bool{}
	level := in
	// The projection meets every level of the tree, where its element names
	// need not exist: no element-name errors inside repeat().
	lf := *fr
	lf.lenient = true
	fr = &lf
	for len(level) > 0 {
		var next Collection
		for i, it := range level {
			r, err := st.lambda(c.args[0], fr, it, i)
			if err != nil {
				return nil, err
			}
			for _, x := range r {
				if x.node != nil {
					if seen[x.node] {
						continue
					}
					seen[x.node] = true
				} else if containsItem(out, x) {
					continue
				}
				out = append(out, x)
				next = append(next, x)
				if len(out) > maxRepeat {
					return nil, errorf("repeat: more than %d items", maxRepeat)
				}
			}
		}
		level = next
	}
	return out, nil
}

func fnOfType(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	var out Collection
	for _, it := range in {
		if c.spec.matches(it.Type(), true) {
			out = append(out, it)
		}
	}
	return out, nil
}

func fnSingle(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	if len(in) > 1 {
		return nil, errorf("expected at most one item, got %d", len(in))
	}
	return in, nil
}

func fnFirst(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	if len(in) == 0 {
		return nil, nil
	}
	return in[:1:1], nil
}

func fnLast(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	if len(in) == 0 {
		return nil, nil
	}
	return in[len(in)-1:], nil
}

func fnTail(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	if len(in) <= 1 {
		return nil, nil
	}
	return in[1:], nil
}

func countArg(st *state, fr *frame, c *callExpr) (int, bool, error) {
	a, err := st.arg(fr, c, 0)
	if err != nil {
		return 0, false, err
	}
	n, ok, err := integerArg(a, c.name)
	return int(max(min(n, 1<<31), -1)), ok, err
}

func fnSkip(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	n, ok, err := countArg(st, fr, c)
	if err != nil || !ok {
		return nil, err
	}
	if n <= 0 {
		return in, nil
	}
	if n >= len(in) {
		return nil, nil
	}
	return in[n:], nil
}

func fnTake(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	n, ok, err := countArg(st, fr, c)
	if err != nil || !ok || n <= 0 {
		return nil, err
	}
	if n >= len(in) {
		return in, nil
	}
	return in[:n:n], nil
}

func fnIntersect(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	other, err := st.arg(fr, c, 0)
	if err != nil {
		return nil, err
	}
	var out Collection
	for _, it := range in {
		if containsItem(other, it) && !containsItem(out, it) {
			out = append(out, it)
		}
	}
	return out, nil
}

func fnExclude(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	other, err := st.arg(fr, c, 0)
	if err != nil {
		return nil, err
	}
	var out Collection
	for _, it := range in {
		if !containsItem(other, it) {
			out = append(out, it)
		}
	}
	return out, nil
}

func fnUnion(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	other, err := st.arg(fr, c, 0)
	if err != nil {
		return nil, err
	}
	return union(in, other), nil
}

func fnCombine(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	other, err := st.arg(fr, c, 0)
	if err != nil {
		return nil, err
	}
	out := make(Collection, 0, len(in)+len(other))
	return append(append(out, in...), other...), nil
}

func fnIif(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	if len(in) > 1 {
		return nil, errorf("expected at most one input item, got %d", len(in))
	}
	f := &frame{this: in, index: fr.index, total: fr.total, hasTotal: fr.hasTotal, lenient: fr.lenient}
	if c.target == nil {
		f = fr
	}
	cond, err := c.args[0].eval(st, f)
	if err != nil {
		return nil, err
	}
	var val, known bool
	switch len(cond) {
	case 0:
	case 1:
		v, ok := cond[0].Value()
		b, isB := v.(Boolean)
		if !ok || !isB {
			return nil, errorf("criterion is %s, not Boolean", cond[0].Type())
		}
		val, known = bool(b), true
	default:
		return nil, errorf("criterion has %d items", len(cond))
	}
	if known && val {
		return c.args[1].eval(st, f)
	}
	if len(c.args) > 2 {
		return c.args[2].eval(st, f)
	}
	return nil, nil
}

func fnChildren(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	var out Collection
	for _, it := range in {
		if it.node != nil {
			for _, ch := range it.node.Children {
				out = append(out, Item{node: ch})
			}
		}
	}
	return out, nil
}

func fnDescendants(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	var out Collection
	var walk func(it Item)
	walk = func(it Item) {
		if it.node == nil {
			return
		}
		for _, ch := range it.node.Children {
			out = append(out, Item{node: ch})
			walk(Item{node: ch})
		}
	}
	for _, it := range in {
		walk(it)
	}
	return out, nil
}

func fnTrace(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	name, err := st.arg(fr, c, 0)
	if err != nil {
		return nil, err
	}
	if st.env.Trace == nil {
		return in, nil
	}
	label := ""
	if len(name) > 0 {
		label = name[0].String()
	}
	shown := in
	if len(c.args) > 1 {
		shown = nil
		for i, it := range in {
			r, err := st.lambda(c.args[1], fr, it, i)
			if err != nil {
				return nil, err
			}
			shown = append(shown, r...)
		}
	}
	st.env.Trace(label, shown)
	return in, nil
}

func fnAggregate(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	var total Collection
	if len(c.args) > 1 {
		var err error
		total, err = st.arg(fr, c, 1)
		if err != nil {
			return nil, err
		}
	}
	for i, it := range in {
		if err := st.tick(); err != nil {
			return nil, err
		}
		f := frame{this: Collection{it}, index: i, total: total, hasTotal: true, lenient: fr.lenient}
		r, err := c.args[0].eval(st, &f)
		if err != nil {
			return nil, err
		}
		total = r
	}
	return total, nil
}

func fnNot(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	v, k, err := boolOperand(in, "not")
	if err != nil || !k {
		return nil, err
	}
	return boolColl(!v), nil
}

func fnType(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	out := make(Collection, len(in))
	for i, it := range in {
		out[i] = Item{val: it.Type()}
	}
	return out, nil
}

// fnSort sorts by the given key expressions; a key written -expr sorts
// descending. Without keys items sort by their own value.
func fnSort(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	type keyed struct {
		it   Item
		keys []Value
	}
	type keySpec struct {
		e    expr
		desc bool
	}
	var specs []keySpec
	for _, a := range c.args {
		if u, ok := a.(*unaryExpr); ok && u.op == "-" {
			specs = append(specs, keySpec{u.x, true})
		} else {
			specs = append(specs, keySpec{a, false})
		}
	}
	items := make([]keyed, len(in))
	for i, it := range in {
		items[i].it = it
		if len(specs) == 0 {
			v, _ := it.Value()
			items[i].keys = []Value{v}
			continue
		}
		for _, s := range specs {
			r, err := st.lambda(s.e, fr, it, i)
			if err != nil {
				return nil, err
			}
			v, err := singletonValue(r, "sort")
			if err != nil {
				return nil, err
			}
			items[i].keys = append(items[i].keys, v)
		}
	}
	var sortErr error
	slices.SortStableFunc(items, func(a, b keyed) int {
		for k := range a.keys {
			x, y := a.keys[k], b.keys[k]
			var r int
			switch {
			case x == nil && y == nil:
				r = 0
			case x == nil: // empty keys sort first in either direction
				return -1
			case y == nil:
				return 1
			default:
				o, ok, err := compareValues(x, y, "sort")
				if err != nil && sortErr == nil {
					sortErr = err
				}
				if ok {
					r = o
				} else {
					r = cmp.Compare(x.String(), y.String())
				}
			}
			if len(specs) > 0 && specs[k].desc {
				r = -r
			}
			if r != 0 {
				return r
			}
		}
		return 0
	})
	if sortErr != nil {
		return nil, sortErr
	}
	out := make(Collection, len(items))
	for i, k := range items {
		out[i] = k.it
	}
	return out, nil
}

func fnNotSupported(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	return nil, fmt.Errorf("fhirpath: %s() is not supported", c.name)
}
