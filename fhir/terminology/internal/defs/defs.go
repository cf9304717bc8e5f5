// Package defs declares the shape of the terminology definitions file
// (definitions.json.gz): the subset of the R4 CodeSystem and ValueSet
// resources the terminology service reads. The generator writes it and the
// service reads it, so both share these types. Field names are FHIR's, so
// the file is a readable FHIR subset once decompressed.
package defs

// File is the whole definitions file.
type File struct {
	// Source names the package the definitions were generated from.
	Source      string       `json:"source"`
	CodeSystems []CodeSystem `json:"codeSystems"`
	ValueSets   []ValueSet   `json:"valueSets"`
}

// CodeSystem is an R4 CodeSystem without narrative, extensions and
// metadata the service does not use.
type CodeSystem struct {
	ID               string        `json:"id,omitempty"`
	URL              string        `json:"url"`
	Version          string        `json:"version,omitempty"`
	Name             string        `json:"name,omitempty"`
	Title            string        `json:"title,omitempty"`
	Status           string        `json:"status,omitempty"`
	CaseSensitive    *bool         `json:"caseSensitive,omitempty"`
	ValueSet         string        `json:"valueSet,omitempty"`
	HierarchyMeaning string        `json:"hierarchyMeaning,omitempty"`
	Content          string        `json:"content,omitempty"`
	Supplements      string        `json:"supplements,omitempty"`
	Filter           []FilterDef   `json:"filter,omitempty"`
	Property         []PropertyDef `json:"property,omitempty"`
	Concept          []Concept     `json:"concept,omitempty"`
}

// FilterDef is CodeSystem.filter: a filter the code system declares.
type FilterDef struct {
	Code        string   `json:"code"`
	Description string   `json:"description,omitempty"`
	Operator    []string `json:"operator,omitempty"`
	Value       string   `json:"value,omitempty"`
}

// PropertyDef is CodeSystem.property.
type PropertyDef struct {
	Code        string `json:"code"`
	URI         string `json:"uri,omitempty"`
	Description string `json:"description,omitempty"`
	Type        string `json:"type,omitempty"`
}

// Concept is CodeSystem.concept, nested as in the resource.
type Concept struct {
	Code        string        `json:"code"`
	Display     string        `json:"display,omitempty"`
	Definition  string        `json:"definition,omitempty"`
	Designation []Designation `json:"designation,omitempty"`
	Property    []Property    `json:"property,omitempty"`
	Concept     []Concept     `json:"concept,omitempty"`
}

// Designation is CodeSystem.concept.designation (and ValueSet's).
type Designation struct {
	Language string  `json:"language,omitempty"`
	Use      *Coding `json:"use,omitempty"`
	Value    string  `json:"value"`
}

// Coding is a Coding data type.
type Coding struct {
	System  string `json:"system,omitempty"`
	Version string `json:"version,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

// Property is CodeSystem.concept.property; exactly one value is set.
type Property struct {
	Code          string   `json:"code"`
	ValueCode     string   `json:"valueCode,omitempty"`
	ValueCoding   *Coding  `json:"valueCoding,omitempty"`
	ValueString   string   `json:"valueString,omitempty"`
	ValueInteger  *int64   `json:"valueInteger,omitempty"`
	ValueBoolean  *bool    `json:"valueBoolean,omitempty"`
	ValueDateTime string   `json:"valueDateTime,omitempty"`
	ValueDecimal  *float64 `json:"valueDecimal,omitempty"`
}

// ValueSet is an R4 ValueSet reduced to its definition (compose); the
// official bundles carry no expansions worth keeping.
type ValueSet struct {
	ID      string   `json:"id,omitempty"`
	URL     string   `json:"url"`
	Version string   `json:"version,omitempty"`
	Name    string   `json:"name,omitempty"`
	Title   string   `json:"title,omitempty"`
	Status  string   `json:"status,omitempty"`
	Compose *Compose `json:"compose,omitempty"`
}

// Compose is ValueSet.compose.
type Compose struct {
	LockedDate string    `json:"lockedDate,omitempty"`
	Inactive   *bool     `json:"inactive,omitempty"`
	Include    []Include `json:"include,omitempty"`
	Exclude    []Include `json:"exclude,omitempty"`
}

// Include is ValueSet.compose.include (and exclude).
type Include struct {
	System   string       `json:"system,omitempty"`
	Version  string       `json:"version,omitempty"`
	Concept  []ConceptRef `json:"concept,omitempty"`
	Filter   []Filter     `json:"filter,omitempty"`
	ValueSet []string     `json:"valueSet,omitempty"`
}

// ConceptRef is ValueSet.compose.include.concept.
type ConceptRef struct {
	Code        string        `json:"code"`
	Display     string        `json:"display,omitempty"`
	Designation []Designation `json:"designation,omitempty"`
}

// Filter is ValueSet.compose.include.filter.
type Filter struct {
	Property string `json:"property"`
	Op       string `json:"op"`
	Value    string `json:"value"`
}
