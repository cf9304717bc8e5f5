package dicom

import "yigong/dicom"

// Tags used beyond those package dicom names.
const (
	tagQueryRetrieveLevel              = dicom.Tag(0x00080052)
	tagInstanceAvailability            = dicom.Tag(0x00080056)
	tagModalitiesInStudy               = dicom.Tag(0x00080061)
	tagRetrieveURL                     = dicom.Tag(0x00081190)
	tagIssuerOfPatientID               = dicom.Tag(0x00100021)
	tagNumberOfPatientRelatedStudies   = dicom.Tag(0x00201200)
	tagNumberOfPatientRelatedSeries    = dicom.Tag(0x00201202)
	tagNumberOfPatientRelatedInstances = dicom.Tag(0x00201204)
	tagNumberOfStudyRelatedSeries      = dicom.Tag(0x00201206)
	tagNumberOfStudyRelatedInstances   = dicom.Tag(0x00201208)
	tagNumberOfSeriesRelatedInstances  = dicom.Tag(0x00201209)
)

// studyTags are kept in the study header: the patient module (all of group
// 0010) and these.
var studyTags = map[dicom.Tag]bool{
	dicom.TagSpecificCharacterSet: true,
	dicom.TagStudyDate:            true,
	0x00080030:                    true, // StudyTime
	dicom.TagAccessionNumber:      true,
	0x00080051:                    true, // IssuerOfAccessionNumberSequence
	0x00080080:                    true, // InstitutionName
	0x00080090:                    true, // ReferringPhysicianName
	0x00080201:                    true, // TimezoneOffsetFromUTC
	0x00081030:                    true, // StudyDescription
	0x00081032:                    true, // ProcedureCodeSequence
	0x00081060:                    true, // NameOfPhysiciansReadingStudy
	dicom.TagStudyInstanceUID:     true,
	dicom.TagStudyID:              true,
	0x00321060:                    true, // RequestedProcedureDescription
}

// seriesTags are kept in the series header.
var seriesTags = map[dicom.Tag]bool{
	dicom.TagSpecificCharacterSet: true,
	0x00080021:                    true, // SeriesDate
	0x00080031:                    true, // SeriesTime
	dicom.TagModality:             true,
	0x00080070:                    true, // Manufacturer
	0x00080080:                    true, // InstitutionName
	0x0008103E:                    true, // SeriesDescription
	0x00081010:                    true, // StationName
	0x00081050:                    true, // PerformingPhysicianName
	0x00081090:                    true, // ManufacturerModelName
	0x00180015:                    true, // BodyPartExamined
	0x00181030:                    true, // ProtocolName
	dicom.TagSeriesInstanceUID:    true,
	dicom.TagSeriesNumber:         true,
	0x00200060:                    true, // Laterality
	0x00400244:                    true, // PerformedProcedureStepStartDate
	0x00400245:                    true, // PerformedProcedureStepStartTime
	0x00400275:                    true, // RequestAttributesSequence
}

// bulkThreshold: binary values longer than this stay out of the instance
// header (served as bulk data from the blob).
const bulkThreshold = 1024
