package hl7v2

// Typed views of the composite data types the v2-to-FHIR mapping needs
// (HL7 v2.5.1 chapter 2A). Each is built from a Value at any level: a field
// repetition (components split at ^) or a component (sub-components split
// at &), so CX.AssigningAuthority is an HD read from sub-components. All
// strings are unescaped. Components added after v2.5.1 are included where
// they are cheap; absent components are empty.

// HD is a hierarchic designator.
type HD struct {
	NamespaceID     string
	UniversalID     string
	UniversalIDType string
}

// ParseHD reads an HD.
func ParseHD(v Value) HD {
	return HD{v.Component(1).String(), v.Component(2).String(), v.Component(3).String()}
}

// EI is an entity identifier.
type EI struct {
	EntityIdentifier string
	NamespaceID      string
	UniversalID      string
	UniversalIDType  string
}

// ParseEI reads an EI.
func ParseEI(v Value) EI {
	return EI{v.Component(1).String(), v.Component(2).String(), v.Component(3).String(), v.Component(4).String()}
}

// CWE is a coded element (also read for CE, CNE and IS/ID values, whose
// first component is the code).
type CWE struct {
	Identifier                     string
	Text                           string
	CodingSystem                   string
	AlternateIdentifier            string
	AlternateText                  string
	AlternateCodingSystem          string
	CodingSystemVersionID          string
	AlternateCodingSystemVersionID string
	OriginalText                   string
}

// ParseCWE reads a CWE, CE or CNE.
func ParseCWE(v Value) CWE {
	var c [9]string
	for i := range c {
		c[i] = v.Component(i + 1).String()
	}
	return CWE{c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]}
}

// CX is an extended composite ID with check digit.
type CX struct {
	IDNumber              string
	CheckDigit            string
	CheckDigitScheme      string
	AssigningAuthority    HD
	IdentifierTypeCode    string
	AssigningFacility     HD
	EffectiveDate         string
	ExpirationDate        string
	AssigningJurisdiction CWE
	AssigningAgency       CWE
}

// ParseCX reads a CX.
func ParseCX(v Value) CX {
	return CX{
		IDNumber: v.Component(1).String(), CheckDigit: v.Component(2).String(), CheckDigitScheme: v.Component(3).String(),
		AssigningAuthority: ParseHD(v.Component(4)), IdentifierTypeCode: v.Component(5).String(),
		AssigningFacility: ParseHD(v.Component(6)), EffectiveDate: v.Component(7).String(), ExpirationDate: v.Component(8).String(),
		AssigningJurisdiction: ParseCWE(v.Component(9)), AssigningAgency: ParseCWE(v.Component(10)),
	}
}

// XPN is an extended person name. Family is FN.1 (surname); in v2.3 the
// family name is a plain string, which reads the same.
type XPN struct {
	Family                 string
	Given                  string
	SecondNames            string // second and further given names or initials
	Suffix                 string
	Prefix                 string
	Degree                 string
	NameTypeCode           string // L legal, D display, A alias, ...
	NameRepresentationCode string // A alphabetic, I ideographic, P phonetic
	NameContext            CWE
	NameAssemblyOrder      string
	EffectiveDate          string
	ExpirationDate         string
	ProfessionalSuffix     string
}

// ParseXPN reads an XPN.
func ParseXPN(v Value) XPN {
	return XPN{
		Family: v.Component(1).Sub(1).String(), Given: v.Component(2).String(), SecondNames: v.Component(3).String(),
		Suffix: v.Component(4).String(), Prefix: v.Component(5).String(), Degree: v.Component(6).String(),
		NameTypeCode: v.Component(7).String(), NameRepresentationCode: v.Component(8).String(),
		NameContext: ParseCWE(v.Component(9)), NameAssemblyOrder: v.Component(11).String(),
		EffectiveDate: v.Component(12).String(), ExpirationDate: v.Component(13).String(), ProfessionalSuffix: v.Component(14).String(),
	}
}

// XAD is an extended address. Street is SAD.1 (street or mailing address).
type XAD struct {
	Street                string
	OtherDesignation      string
	City                  string
	State                 string // state or province
	Zip                   string
	Country               string
	AddressType           string
	OtherGeographic       string
	County                string
	CensusTract           string
	AddressRepresentation string
	EffectiveDate         string
	ExpirationDate        string
}

// ParseXAD reads an XAD.
func ParseXAD(v Value) XAD {
	return XAD{
		Street: v.Component(1).Sub(1).String(), OtherDesignation: v.Component(2).String(), City: v.Component(3).String(),
		State: v.Component(4).String(), Zip: v.Component(5).String(), Country: v.Component(6).String(),
		AddressType: v.Component(7).String(), OtherGeographic: v.Component(8).String(), County: v.Component(9).Sub(1).String(),
		CensusTract: v.Component(10).Sub(1).String(), AddressRepresentation: v.Component(11).String(),
		EffectiveDate: v.Component(13).Sub(1).String(), ExpirationDate: v.Component(14).Sub(1).String(),
	}
}

// XTN is an extended telecommunication number.
type XTN struct {
	TelephoneNumber string // XTN.1, deprecated but what most senders fill
	UseCode         string // PRN, WPN, NET, ...
	EquipmentType   string // PH, CP, Internet, ...
	Email           string
	CountryCode     string
	AreaCode        string
	LocalNumber     string
	Extension       string
	AnyText         string
	Unformatted     string // XTN.12
}

// ParseXTN reads an XTN.
func ParseXTN(v Value) XTN {
	return XTN{
		TelephoneNumber: v.Component(1).String(), UseCode: v.Component(2).String(), EquipmentType: v.Component(3).String(),
		Email: v.Component(4).String(), CountryCode: v.Component(5).String(), AreaCode: v.Component(6).String(),
		LocalNumber: v.Component(7).String(), Extension: v.Component(8).String(), AnyText: v.Component(9).String(),
		Unformatted: v.Component(12).String(),
	}
}

// XCN is an extended composite ID number and name for persons.
type XCN struct {
	IDNumber           string
	Family             string
	Given              string
	SecondNames        string
	Suffix             string
	Prefix             string
	Degree             string
	SourceTable        string
	AssigningAuthority HD
	NameTypeCode       string
	CheckDigit         string
	CheckDigitScheme   string
	IdentifierTypeCode string
	AssigningFacility  HD
}

// ParseXCN reads an XCN.
func ParseXCN(v Value) XCN {
	return XCN{
		IDNumber: v.Component(1).String(), Family: v.Component(2).Sub(1).String(), Given: v.Component(3).String(),
		SecondNames: v.Component(4).String(), Suffix: v.Component(5).String(), Prefix: v.Component(6).String(),
		Degree: v.Component(7).String(), SourceTable: v.Component(8).String(), AssigningAuthority: ParseHD(v.Component(9)),
		NameTypeCode: v.Component(10).String(), CheckDigit: v.Component(11).String(), CheckDigitScheme: v.Component(12).String(),
		IdentifierTypeCode: v.Component(13).String(), AssigningFacility: ParseHD(v.Component(14)),
	}
}

// XON is an extended composite name and ID for organizations.
type XON struct {
	OrganizationName       string
	OrganizationNameType   string
	IDNumber               string // XON.3, deprecated
	AssigningAuthority     HD
	IdentifierTypeCode     string
	AssigningFacility      HD
	OrganizationIdentifier string // XON.10
}

// ParseXON reads an XON.
func ParseXON(v Value) XON {
	return XON{
		OrganizationName: v.Component(1).String(), OrganizationNameType: v.Component(2).Sub(1).String(),
		IDNumber: v.Component(3).String(), AssigningAuthority: ParseHD(v.Component(6)),
		IdentifierTypeCode: v.Component(7).String(), AssigningFacility: ParseHD(v.Component(8)),
		OrganizationIdentifier: v.Component(10).String(),
	}
}

// PL is a person location.
type PL struct {
	PointOfCare        string
	Room               string
	Bed                string
	Facility           HD
	LocationStatus     string
	PersonLocationType string
	Building           string
	Floor              string
	Description        string
}

// ParsePL reads a PL.
func ParsePL(v Value) PL {
	return PL{
		PointOfCare: v.Component(1).Sub(1).String(), Room: v.Component(2).Sub(1).String(), Bed: v.Component(3).Sub(1).String(),
		Facility: ParseHD(v.Component(4)), LocationStatus: v.Component(5).String(), PersonLocationType: v.Component(6).String(),
		Building: v.Component(7).Sub(1).String(), Floor: v.Component(8).Sub(1).String(), Description: v.Component(9).String(),
	}
}

// CQ is a composite quantity with units.
type CQ struct {
	Quantity string // NM as sent
	Units    CWE
}

// ParseCQ reads a CQ.
func ParseCQ(v Value) CQ { return CQ{v.Component(1).String(), ParseCWE(v.Component(2))} }

// SN is a structured numeric: comparator, numbers and separator (">^10",
// "^1^:^128", "^10^-^20").
type SN struct {
	Comparator string
	Num1       string
	Separator  string
	Num2       string
}

// ParseSN reads an SN.
func ParseSN(v Value) SN {
	return SN{v.Component(1).String(), v.Component(2).String(), v.Component(3).String(), v.Component(4).String()}
}

// DateTime parses the first component of the field's first repetition as a
// DTM (TS.1 for a TS field), in DefaultZone when it has no offset.
func (f Field) DateTime() (DateTime, error) { return f.Repetition(1).DateTime() }

// DateTime parses the value's first component as a DTM.
func (v Value) DateTime() (DateTime, error) { return ParseDateTime(v.Component(1).String()) }
