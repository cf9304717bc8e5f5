package fhirpath

import (
	"strings"

	"yigong/fhir/model"
)

// TypeInfo names a type in the FHIRPath type system: Namespace is "System"
// or "FHIR", Name the type ("Integer", "HumanName", "boolean", "Patient").
// It is also the System value returned by type().
type TypeInfo struct {
	Namespace string
	Name      string
}

func (t TypeInfo) String() string { return t.Namespace + "." + t.Name }

// System type names.
const (
	nsSystem = "System"
	nsFHIR   = "FHIR"
)

var systemTypes = map[string]bool{
	"Any": true, "Boolean": true, "String": true, "Integer": true, "Long": true, "Decimal": true,
	"Date": true, "DateTime": true, "Time": true, "Quantity": true,
}

// fhirPrimitiveSystem maps each FHIR primitive type to the System type its
// values convert to.
var fhirPrimitiveSystem = map[string]string{
	"boolean": "Boolean",
	"string":  "String", "code": "String", "id": "String", "markdown": "String",
	"uri": "String", "url": "String", "canonical": "String", "oid": "String", "uuid": "String",
	"base64Binary": "String", "xhtml": "String",
	"integer": "Integer", "positiveInt": "Integer", "unsignedInt": "Integer", "integer64": "Integer",
	"decimal": "Decimal",
	"date":    "Date", "dateTime": "DateTime", "instant": "DateTime",
	"time": "Time",
}

// fhirBase is the R4 type hierarchy for the types whose base is not simply
// Element (complex) or DomainResource (resource); used when the generated
// model does not answer.
var fhirBase = map[string]string{
	"code": "string", "id": "string", "markdown": "string",
	"url": "uri", "canonical": "uri", "oid": "uri", "uuid": "uri",
	"positiveInt": "integer", "unsignedInt": "integer",
	"Age": "Quantity", "Count": "Quantity", "Distance": "Quantity", "Duration": "Quantity",
	"MoneyQuantity": "Quantity", "SimpleQuantity": "Quantity",
	"BackboneElement": "Element", "Element": "",
	"Resource": "", "DomainResource": "Resource",
	"Bundle": "Resource", "Binary": "Resource", "Parameters": "Resource",
}

var fhirComplexTypes = strings.Fields(`Address Age Annotation Attachment BackboneElement
CodeableConcept Coding ContactDetail ContactPoint Contributor Count DataRequirement Distance
Dosage Duration Element ElementDefinition Expression Extension HumanName Identifier
MarketingStatus Meta Money MoneyQuantity Narrative ParameterDefinition Period Population
ProdCharacteristic ProductShelfLife Quantity Range Ratio Reference RelatedArtifact SampledData
Signature SimpleQuantity SubstanceAmount Timing TriggerDefinition UsageContext`)

var fhirResourceTypes = strings.Fields(`Resource DomainResource Account ActivityDefinition
AdverseEvent AllergyIntolerance Appointment AppointmentResponse AuditEvent Basic Binary
BiologicallyDerivedProduct BodyStructure Bundle CapabilityStatement CarePlan CareTeam
CatalogEntry ChargeItem ChargeItemDefinition Claim ClaimResponse ClinicalImpression CodeSystem
Communication CommunicationRequest CompartmentDefinition Composition ConceptMap Condition Consent
Contract Coverage CoverageEligibilityRequest CoverageEligibilityResponse DetectedIssue Device
DeviceDefinition DeviceMetric DeviceRequest DeviceUseStatement DiagnosticReport DocumentManifest
DocumentReference EffectEvidenceSynthesis Encounter Endpoint EnrollmentRequest EnrollmentResponse
EpisodeOfCare EventDefinition Evidence EvidenceVariable ExampleScenario ExplanationOfBenefit
FamilyMemberHistory Flag Goal GraphDefinition Group GuidanceResponse HealthcareService
ImagingStudy Immunization ImmunizationEvaluation ImmunizationRecommendation ImplementationGuide
InsurancePlan Invoice Library Linkage List Location Measure MeasureReport Media Medication
MedicationAdministration MedicationDispense MedicationKnowledge MedicationRequest
MedicationStatement MedicinalProduct MedicinalProductAuthorization
MedicinalProductContraindication MedicinalProductIndication MedicinalProductIngredient
MedicinalProductInteraction MedicinalProductManufactured MedicinalProductPackaged
MedicinalProductPharmaceutical MedicinalProductUndesirableEffect MessageDefinition MessageHeader
MolecularSequence NamingSystem NutritionOrder Observation ObservationDefinition
OperationDefinition OperationOutcome Organization OrganizationAffiliation Parameters Patient
PaymentNotice PaymentReconciliation Person PlanDefinition Practitioner PractitionerRole Procedure
Provenance Questionnaire QuestionnaireResponse RelatedPerson RequestGroup ResearchDefinition
ResearchElementDefinition ResearchStudy ResearchSubject RiskAssessment RiskEvidenceSynthesis
Schedule SearchParameter ServiceRequest Slot Specimen SpecimenDefinition StructureDefinition
StructureMap Subscription Substance SubstanceNucleicAcid SubstancePolymer SubstanceProtein
SubstanceReferenceInformation SubstanceSourceMaterial SubstanceSpecification SupplyDelivery
SupplyRequest Task TerminologyCapabilities TestReport TestScript ValueSet VerificationResult
VisionPrescription`)

// knownTypes classifies every R4 type name known without the model.
var knownTypes = func() map[string]model.Kind {
	m := map[string]model.Kind{}
	for p := range fhirPrimitiveSystem {
		m[p] = model.KindPrimitive
	}
	for _, c := range fhirComplexTypes {
		m[c] = model.KindComplex
	}
	for _, r := range fhirResourceTypes {
		m[r] = model.KindResource
	}
	return m
}()

// fhirKind returns the kind of a FHIR type name, consulting the generated
// model first.
func fhirKind(name string) (model.Kind, bool) {
	if t := model.LookupType(name); t != nil {
		return t.Kind, true
	}
	k, ok := knownTypes[name]
	return k, ok
}

// isFHIRType reports whether name is an R4 type.
func isFHIRType(name string) bool {
	_, ok := fhirKind(name)
	return ok
}

// fhirBaseOf returns the base type of a FHIR type ("" at the root).
func fhirBaseOf(name string) string {
	if t := model.LookupType(name); t != nil && (t.Base != "" || name == "Resource" || name == "Element") {
		return t.Base
	}
	if b, ok := fhirBase[name]; ok {
		return b
	}
	switch knownTypes[name] {
	case model.KindPrimitive, model.KindComplex:
		return "Element"
	case model.KindResource:
		return "DomainResource"
	}
	return ""
}

// fhirDerives reports whether FHIR type t is base or derives from it.
func fhirDerives(t, base string) bool {
	for i := 0; t != "" && i < 16; i++ {
		if t == base {
			return true
		}
		t = fhirBaseOf(t)
	}
	return false
}

// isPrimitiveType reports whether a FHIR type code is primitive.
func isPrimitiveType(code string) bool {
	_, ok := fhirPrimitiveSystem[code]
	return ok
}

func isQuantityType(code string) bool {
	switch code {
	case "Quantity", "Age", "Count", "Distance", "Duration", "MoneyQuantity", "SimpleQuantity":
		return true
	}
	return false
}

// typeSpec is a parsed type specifier: a namespace (possibly "") and name.
type typeSpec struct {
	ns, name string
}

func (t typeSpec) String() string {
	if t.ns == "" {
		return t.name
	}
	return t.ns + "." + t.name
}

// valid reports whether the specifier names a known type.
func (t typeSpec) valid() bool {
	switch t.ns {
	case nsSystem:
		return true // an unknown System type is valid and matches nothing
	case nsFHIR:
		return isFHIRType(t.name)
	case "":
		return systemTypes[t.name] || isFHIRType(t.name)
	}
	return false
}

// matchesCompat is matches, and under Env.InvariantCompat an unqualified
// System type name that is no FHIR type (Boolean, String...) also matches
// the FHIR primitives that convert to it: R4 invariants write "answer is
// Boolean" of a FHIR boolean (que-7), while the official FHIRPath suite
// says Patient.active.is(Boolean) is false (testType12).
func (t typeSpec) matchesCompat(it TypeInfo, exact, compat bool) bool {
	if compat && t.ns == "" && it.Namespace != nsSystem && systemTypes[t.name] && !isFHIRType(t.name) &&
		fhirPrimitiveSystem[it.Name] == t.name {
		return true
	}
	return t.matches(it, exact)
}

// matches reports whether an item of type it is the specified type or a
// subtype of it (exact=false) or exactly it, for primitives (exact=true).
func (t typeSpec) matches(it TypeInfo, exact bool) bool {
	if t.ns != "" && t.ns != it.Namespace {
		return false
	}
	if it.Namespace == nsSystem {
		return t.name == it.Name || t.name == "Any"
	}
	if exact && isPrimitiveType(it.Name) {
		return t.name == it.Name
	}
	return fhirDerives(it.Name, t.name)
}
