// Package query matches DICOM data sets against C-FIND identifiers (PS3.4
// C.2.2.2) and builds the responses, for the C-FIND SCP in dicom/net and
// for the hub's index, which matches the same way.
//
// # Usage
//
//	if query.Match(identifier, candidate, &query.Options{FoldCase: true}) {
//		yield(query.Response(identifier, candidate))
//	}
//
// # Matching
//
// Each non-empty key of the identifier must match; an empty key matches
// everything and is a return key (universal matching, C.2.2.2.3). Group
// 0000 and 0002, Specific Character Set and Query/Retrieve Level are not
// keys. Text is decoded with each side's character set before matching,
// so GB18030, GBK and ISO 2022 IR 58 values compare as characters.
//
//   - Single value matching (C.2.2.2.1): exact, after trimming padding.
//   - Wildcards (C.2.2.2.4): "*" any run, "?" one character (a character,
//     not a byte: "王?" matches "王五"), in every VR but DA, TM, DT, UI, SQ
//     and binary VRs; a lone "*" is universal.
//   - List of UID matching (C.2.2.2.2): UI values separated by "\" match
//     any one of them. A "\" list in other text VRs matches any of its
//     values (as ModalitiesInStudy "CT\MR" is used).
//   - Range matching (C.2.2.2.5) for DA, TM and DT: "A-B", "A-", "-B", with
//     dicom.ParseRange; a single date is a one-day range.
//   - Sequence matching (C.2.2.2.6), minimal: an empty item is universal,
//     otherwise some item of the candidate must match the first item of
//     the key.
//   - Person names (C.2.2.2.1, Annex I of PS3.5 for groups): matched per
//     component group. A value with one group ("王*", "Wang^*") matches
//     when any group of the candidate matches it, so 王* finds
//     Wang^XiaoDong=王^小东=; a value with "=" matches group by group,
//     empty groups matching anything. Trailing "^" and spaces are ignored.
//     Options.FoldCase makes PN matching case-insensitive (the usual
//     behaviour for alphabetic names).
//
// A multi-valued candidate matches when any of its values does.
//
// # Concurrency
//
// The functions are pure; datasets are only read.
//
// # Spec sections
//
// PS3.4 C.2.2.2 (attribute matching), C.2.2.3 (universal and return keys);
// PS3.5 §6.2.1 (PN component groups).
package query
