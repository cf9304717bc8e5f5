// Package scope parses SMART App Launch scopes, versions 1 and 2, into one
// permission model and answers whether a scope set allows an interaction on a
// resource type.
//
// # Grammar
//
// A resource scope is context/Type.permissions[?query]:
//
//	patient/Observation.read                 v1: read = r+s, write = c+u+d, * = all
//	user/*.write
//	patient/Observation.rs?category=laboratory   v2: letters c r u d s, in that order
//	system/*.cruds
//
// Context is patient (limited to the launch patient's compartment), user
// (what the signed-in user may see) or system (Backend Services). Other scopes
// (openid, fhirUser, launch, launch/patient, offline_access...) are kept as
// names. A v2 query restricts the scope to resources that match it; this
// package returns the restriction and package auth evaluates it on a
// resource's search index.
//
// # Spec
//
// SMART App Launch 2.2.0, "Scopes and Launch Context"
// (https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html).
package scope
