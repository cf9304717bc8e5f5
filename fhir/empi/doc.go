// Package empi matches patient records: the enterprise master patient index
// of the alliance. It decides whether two registrations (from the county
// hospital, the maternal-and-child branch or a township health centre) are
// the same person, by deterministic rules on identifiers and Fellegi–Sunter
// scoring of demographics, over an in-memory blocking index.
//
// # Records
//
// A [Record] holds what matching compares: name (Hanzi, folded from
// traditional to simplified, read as toneless pinyin with surname rules by
// yigong/profiles/cn/pinyin), birth date, sex, phones, the GB/T 2260 county
// of the address, and identifiers, their systems canonicalised by
// cn.CanonicalSystem (so both resident-ID OIDs compare equal). [FromPatient]
// and [ToPatient] convert from and to r4.Patient.
//
// # Matching
//
// Each field comparison yields a level (name: exact, same pinyin,
// homophone, adjacent-key pinyin typo, swapped given-name characters,
// partial, different; birth date: exact, two digits or month and day
// transposed, one digit, same year, different; region: county, city,
// province; resident ID: same, same but contradicting a record's own birth
// date or sex, one edit apart, different ...). A [Model] gives each level
// m = P(level | match) and u = P(level | non-match); a pair's weight is
// Σ log2(m/u). Deterministic rules come first: the same valid resident ID
// (15-digit forms upgraded) consistent with both records' birth date and
// sex, or the same 医保 number, link unless the names are wholly different
// (a child under a parent's ID) or birth date and sex both disagree.
//
// Thresholds: weight ≥ Upper links automatically (grade certain), ≥ Lower
// goes to human review as a FHIR Task ([ReviewTask], grade probable), below
// is left apart (possible, or certainly-not below Possible). Automatic links
// also require the names to agree up to a typo (with the sex not
// contradicting a merely similar name) and the birth dates to agree up to a
// digit: twins, and a father and son of similar names, share surname,
// address and phone, and go to review instead.
//
// Weights are configurable (the Model is JSON with named fields and
// levels) and estimated from data: [EstimateEM] runs
// expectation–maximisation over the blocked candidate pairs ([Index.Vectors])
// for m and the prior; [EstimateU] takes u from random pairs
// ([Index.RandomVectors]), because non-matches among blocked pairs agree far
// more than non-matches at large. [DefaultModel] holds the estimate from the
// evaluation data.
//
// # Blocking and the index
//
// [Index.Add] files a record under its blocking keys: resident ID, 医保 and
// health-card numbers, passport, each phone, full pinyin + birth year,
// surname pinyin + birth date, given-name pinyin + birth date, initials +
// birth date, full pinyin + the sorted digits of the birth date (catches any
// transposition), full pinyin + county. [Index.Match] looks those keys up,
// compares at most MaxBlock most recent entries per key, scores the
// candidates and returns them best first with weight, score (posterior
// probability) and grade — what `Patient/$match` returns (see
// [Index.MatchPatient], [SearchEntry] for the match-grade extension and
// score). [Index.Relink] matches every record against those before it in
// parallel and closes the automatic links transitively.
//
// # Phonetic search
//
// [PhoneticKeys] turns a HumanName into the strings the R4 `phonetic`
// search parameter indexes ("wangxiaodong" for 王小东, polyphonic variants
// included); [PhoneticQuery] normalises the search value the same way.
//
// # Evaluation
//
// eval_test.go generates 100,000 records with yigong/fhir/empi/evalgen,
// estimates the model, relinks, and asserts pairwise precision ≥ 0.999 and
// recall ≥ 0.97 of the automatic links; bench_test.go measures Match
// latency and relink throughput on a million records.
//
// # Concurrency
//
// An Index is safe for concurrent use; Adds are serialised, Matches run in
// parallel under a read lock. A Model is read-only once built.
package empi
