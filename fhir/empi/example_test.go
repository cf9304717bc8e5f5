package empi_test

import (
	"fmt"

	"yigong/fhir/empi"
	"yigong/profiles/cn"
)

func ExampleIndex_Match() {
	ix := empi.NewIndex(empi.Options{})
	id := cn.MakeResidentID("330127", cn.Date{Year: 1985, Month: 3, Day: 12}, 13)
	ix.Add(empi.Record{ID: "Patient/1", Family: "王", Given: "小东", BirthDate: cn.Date{Year: 1985, Month: 3, Day: 12},
		Sex: cn.Male, Identifiers: []empi.Identifier{{System: cn.SystemResidentID, Value: id}}})
	// The same person at a township clinic: the other OID, the old 15-digit
	// number, traditional characters.
	old, _ := cn.Downgrade18(id)
	q := empi.Record{Given: "王小東", Identifiers: []empi.Identifier{{System: cn.SystemResidentIDHL7China, Value: old}}}
	for _, c := range ix.Match(q, empi.MatchOptions{}) {
		fmt.Println(c.ID, c.Grade, c.Rule)
	}
	// Output: Patient/1 certain resident-id
}
