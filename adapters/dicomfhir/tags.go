package dicomfhir

import "yigong/dicom"

// Tags the mapping reads beyond those package dicom names.
const (
	tagStudyTime               = dicom.Tag(0x00080030)
	tagStudyDescription        = dicom.Tag(0x00081030)
	tagReferringPhysicianName  = dicom.Tag(0x00080090)
	tagSeriesDescription       = dicom.Tag(0x0008103E)
	tagSeriesDate              = dicom.Tag(0x00080021)
	tagSeriesTime              = dicom.Tag(0x00080031)
	tagBodyPartExamined        = dicom.Tag(0x00180015)
	tagIssuerOfPatientID       = dicom.Tag(0x00100021)
	tagOtherPatientIDs         = dicom.Tag(0x00101000)
	tagOtherPatientIDsSequence = dicom.Tag(0x00101002)
)
