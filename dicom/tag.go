package dicom

import (
	"fmt"
	"strconv"
	"strings"
)

// Tag identifies a data element: group number in the high 16 bits, element
// number in the low 16 bits (PS3.5 §7.1).
type Tag uint32

// NewTag returns the tag (group,element).
func NewTag(group, element uint16) Tag { return Tag(uint32(group)<<16 | uint32(element)) }

// Group returns the group number.
func (t Tag) Group() uint16 { return uint16(t >> 16) }

// Element returns the element number.
func (t Tag) Element() uint16 { return uint16(t) }

// String formats the tag as "(gggg,eeee)" in upper-case hex, as dcmdump does.
func (t Tag) String() string {
	const hex = "0123456789ABCDEF"
	var b [11]byte
	b[0], b[5], b[10] = '(', ',', ')'
	for i := 0; i < 4; i++ {
		b[4-i] = hex[(t>>(16+4*i))&0xF]
		b[9-i] = hex[(t>>(4*i))&0xF]
	}
	return string(b[:])
}

// IsPrivate reports whether the tag is in an odd (private) group (PS3.5 §7.8).
func (t Tag) IsPrivate() bool { return t.Group()%2 == 1 && t.Group() > 8 && t.Group() != 0xFFFF }

// IsPrivateCreator reports whether the tag reserves a private block,
// (gggg,0010) to (gggg,00FF) in an odd group (PS3.5 §7.8.1).
func (t Tag) IsPrivateCreator() bool {
	return t.IsPrivate() && t.Element() >= 0x10 && t.Element() <= 0xFF
}

// IsGroupLength reports whether the tag is a group length, (gggg,0000).
func (t Tag) IsGroupLength() bool { return t.Element() == 0 }

// ParseTag parses "(gggg,eeee)", "gggg,eeee" or "ggggeeee" (hex), or a
// keyword from the data dictionary such as "PatientName".
func ParseTag(s string) (Tag, error) {
	x := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "("), ")")
	x = strings.ReplaceAll(x, ",", "")
	if len(x) == 8 {
		if v, err := strconv.ParseUint(x, 16, 32); err == nil {
			return Tag(v), nil
		}
	}
	if e, ok := LookupKeyword(s); ok {
		return e.Tag, nil
	}
	return 0, fmt.Errorf("dicom: parse tag %q: neither (gggg,eeee) nor a known keyword", s)
}

// Tags used by the reader, writer and value accessors.
const (
	TagFileMetaInformationGroupLength Tag = 0x00020000
	TagFileMetaInformationVersion     Tag = 0x00020001
	TagMediaStorageSOPClassUID        Tag = 0x00020002
	TagMediaStorageSOPInstanceUID     Tag = 0x00020003
	TagTransferSyntaxUID              Tag = 0x00020010
	TagImplementationClassUID         Tag = 0x00020012
	TagImplementationVersionName      Tag = 0x00020013
	TagSpecificCharacterSet           Tag = 0x00080005
	TagSOPClassUID                    Tag = 0x00080016
	TagSOPInstanceUID                 Tag = 0x00080018
	TagStudyDate                      Tag = 0x00080020
	TagModality                       Tag = 0x00080060
	TagAccessionNumber                Tag = 0x00080050
	TagPatientName                    Tag = 0x00100010
	TagPatientID                      Tag = 0x00100020
	TagPatientBirthDate               Tag = 0x00100030
	TagPatientSex                     Tag = 0x00100040
	TagStudyInstanceUID               Tag = 0x0020000D
	TagSeriesInstanceUID              Tag = 0x0020000E
	TagStudyID                        Tag = 0x00200010
	TagSeriesNumber                   Tag = 0x00200011
	TagInstanceNumber                 Tag = 0x00200013
	TagBitsAllocated                  Tag = 0x00280100
	TagPixelRepresentation            Tag = 0x00280103
	TagPixelData                      Tag = 0x7FE00010
	TagFloatPixelData                 Tag = 0x7FE00008
	TagDoubleFloatPixelData           Tag = 0x7FE00009
	TagItem                           Tag = 0xFFFEE000
	TagItemDelimitationItem           Tag = 0xFFFEE00D
	TagSequenceDelimitationItem       Tag = 0xFFFEE0DD
)

// UndefinedLength is the value length 0xFFFFFFFF of sequences, items and
// encapsulated pixel data whose end is marked by a delimiter (PS3.5 §7.1.3).
const UndefinedLength uint32 = 0xFFFFFFFF
