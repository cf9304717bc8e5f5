package uid

import "sort"

//go:generate go run ../internal/gendict -uidout uid_gen.go

// Info describes a registered UID (PS3.6 Annex A).
type Info struct {
	UID     string
	Name    string // "CT Image Storage"
	Type    string // "SOP Class", "Transfer Syntax", "Well-known SOP Instance", ...
	Keyword string // "CTImageStorage"
	Retired bool
}

// Lookup returns the registry entry of u.
func Lookup(u string) (Info, bool) {
	i := sort.Search(len(table), func(i int) bool { return table[i].UID >= u })
	if i < len(table) && table[i].UID == u {
		return table[i], true
	}
	return Info{}, false
}

// Name returns the registered name of u, or u itself when unknown.
func Name(u string) string {
	if in, ok := Lookup(u); ok {
		return in.Name
	}
	return u
}

// All returns the registry in UID order; the caller may not modify it.
func All() []Info { return table[:] }

// IsStorage reports whether u is a registered storage SOP class (PS3.4
// Annex B), including waveforms, SR, encapsulated documents and RT objects.
func IsStorage(u string) bool {
	in, ok := Lookup(u)
	if !ok || in.Type != "SOP Class" {
		return false
	}
	const prefix = "1.2.840.10008.5.1.4.1.1."
	if len(u) > len(prefix) && u[:len(prefix)] == prefix {
		return true
	}
	return in.Name == "Raw Data Storage" || len(in.Name) > 8 && in.Name[len(in.Name)-8:] == " Storage"
}

// TransferSyntax describes how a transfer syntax encodes a dataset
// (PS3.5 §10 and Annex A).
type TransferSyntax struct {
	UID          string
	ExplicitVR   bool
	BigEndian    bool
	Deflated     bool // the dataset after the meta group is deflated (RFC 1951)
	Encapsulated bool // pixel data is encapsulated in fragments (PS3.5 §A.4)
}

// Default transfer syntaxes.
var (
	tsImplicitLE = TransferSyntax{UID: ImplicitVRLittleEndian}
	tsExplicitLE = TransferSyntax{UID: ExplicitVRLittleEndian, ExplicitVR: true}
)

// ImplicitLE returns Implicit VR Little Endian, the DICOM default.
func ImplicitLE() TransferSyntax { return tsImplicitLE }

// ExplicitLE returns Explicit VR Little Endian.
func ExplicitLE() TransferSyntax { return tsExplicitLE }

// LookupTransferSyntax returns the encoding rules of the transfer syntax u.
// Registered transfer syntaxes other than the three native ones and the
// deflated ones are encapsulated explicit VR little endian; unknown UIDs
// return false.
func LookupTransferSyntax(u string) (TransferSyntax, bool) {
	switch u {
	case ImplicitVRLittleEndian:
		return tsImplicitLE, true
	case ExplicitVRLittleEndian:
		return tsExplicitLE, true
	case ExplicitVRBigEndian:
		return TransferSyntax{UID: u, ExplicitVR: true, BigEndian: true}, true
	case DeflatedExplicitVRLittleEndian, "1.2.840.10008.1.2.4.95": // JPIP Referenced Deflate
		return TransferSyntax{UID: u, ExplicitVR: true, Deflated: true}, true
	case "1.2.840.10008.1.2.4.94": // JPIP Referenced: no pixel data
		return TransferSyntax{UID: u, ExplicitVR: true}, true
	}
	if in, ok := Lookup(u); ok && in.Type == "Transfer Syntax" {
		return TransferSyntax{UID: u, ExplicitVR: true, Encapsulated: true}, true
	}
	return TransferSyntax{}, false
}
