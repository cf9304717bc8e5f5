package dicom_test

import (
	"fmt"

	"yigong/dicom"
	"yigong/dicom/charset"
)

// A Dataset reads like pydicom's: elements by tag or by keyword, typed
// values, sequences at any depth, private blocks, delete and membership,
// and a dcmdump-like printout.
func ExampleDataset() {
	ds := dicom.New()

	// Declare the character set first: later text is encoded with it.
	_ = ds.SetStrings(dicom.TagSpecificCharacterSet, dicom.CS, "ISO_IR 192")
	cs, _ := charset.Parse("ISO_IR 192")
	ds.SetCharset(cs)

	// Set by tag; a zero VR takes the dictionary's.
	_ = ds.SetStrings(dicom.TagPatientName, 0, "Wang^XiaoDong=王^小东=")
	_ = ds.SetStrings(dicom.TagPatientID, 0, "110101199003070011")
	// Or by keyword.
	modality, _ := dicom.ParseTag("Modality")
	_ = ds.SetStrings(modality, 0, "CT")
	_ = ds.SetInts(dicom.NewTag(0x0028, 0x0010), 0, 512) // Rows, US

	// Get by keyword and read typed values.
	e, _ := ds.ByKeyword("PatientName")
	pn, _ := e.PersonName()
	fmt.Println(pn.Alphabetic.Family, pn.Alphabetic.Given, "/", pn.Ideographic.Family+pn.Ideographic.Given)
	rows, _ := ds.Int(dicom.NewTag(0x0028, 0x0010))
	fmt.Println("rows:", rows)

	// Sequences hold items, which are datasets themselves.
	item := dicom.NewItem(ds)
	_ = item.SetStrings(dicom.NewTag(0x0008, 0x0100), 0, "T-D1100") // CodeValue
	_ = item.SetStrings(dicom.NewTag(0x0008, 0x0104), 0, "头部")      // CodeMeaning
	ds.SetItems(dicom.NewTag(0x0008, 0x2218), item)                 // AnatomicRegionSequence
	first := ds.Items(dicom.NewTag(0x0008, 0x2218))[0]
	fmt.Println("region:", first.Text(dicom.NewTag(0x0008, 0x0104)))

	// Private elements live in a block reserved by a creator.
	blk, _ := ds.PrivateBlock(0x0029, "YIGONG 1.0", true)
	_ = ds.SetStrings(blk.Tag(0x01), dicom.LO, "乡镇卫生院")
	fmt.Println("private:", blk.Tag(0x01), ds.Text(blk.Tag(0x01)), "by", ds.PrivateCreator(blk.Tag(0x01)))

	// Membership and delete.
	fmt.Println("has PatientID:", ds.Has(dicom.TagPatientID))
	ds.Delete(dicom.TagPatientID)
	fmt.Println("has PatientID:", ds.Has(dicom.TagPatientID))

	fmt.Print(ds)
	// Output:
	// Wang XiaoDong / 王小东
	// rows: 512
	// region: 头部
	// private: (0029,1001) 乡镇卫生院 by YIGONG 1.0
	// has PatientID: true
	// has PatientID: false
	// (0008,0005) CS [ISO_IR 192]                            #  10, 1 SpecificCharacterSet
	// (0008,0060) CS [CT]                                    #   2, 1 Modality
	// (0008,2218) SQ (Sequence with 1 items)                 # u/l, 1 AnatomicRegionSequence
	//   (fffe,e000) na (Item with 2 elements)
	//     (0008,0100) SH [T-D1100]                               #   7, 1 CodeValue
	//     (0008,0104) LO [头部]                                    #   6, 1 CodeMeaning
	// (0010,0010) PN [Wang^XiaoDong=王^小东=]                   #  25, 1 PatientName
	// (0028,0010) US 512                                     #   2, 1 Rows
	// (0029,0010) LO [YIGONG 1.0]                            #  10, 1 PrivateCreator
	// (0029,1001) LO [乡镇卫生院]                                 #  15, 1 Unknown Tag & Data
}
