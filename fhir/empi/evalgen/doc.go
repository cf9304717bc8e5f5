// Package evalgen generates realistic evaluation data for patient matching
// (yigong/fhir/empi): persons of a county medical alliance with Chinese names
// drawn from real surname frequencies, valid resident IDs (GB 11643, region
// codes from GB/T 2260), birth dates, mobile numbers and county codes, living
// in households that share phones and addresses (twins included), and 2–5
// registrations per person across the alliance's 27 institutions, each
// carrying the errors real registration makes at stated rates ([Rates],
// [DefaultRates]): missing, 15-digit, mistyped IDs and children registered
// under a parent's ID; homophone characters, pinyin typos (an adjacent key,
// then the input method's common character for the wrong syllable) and
// traditional characters; swapped or mistyped birth-date digits; changed,
// mistyped or missing phones; moved addresses; missing or wrong sex.
//
// Generation is deterministic for a seed ([Config]). The truth (the person of
// each record) comes with the records, so a test measures the pairwise
// precision and recall of linking against it.
//
// # Sources
//
// Surname shares: the rank order of the Ministry of Public Security's 2020
// name report, shares approximated (see names.go). Given-name characters:
// hand-compiled lists by sex and generation. Homophone and typo replacements
// are limited to the 3,755 level-1 characters of GB 2312 (the most frequent,
// which a pinyin input method offers first), read through
// golang.org/x/text's GBK decoder.
package evalgen
