// Package analysis computes from ECG samples what the carts also report:
// QRS locations, RR intervals and heart rate, and global intervals (PR,
// QRS, QT) with QTc by four named formulas.
//
// # Methods
//
//   - [DetectQRS]: Pan and Tompkins (IEEE Trans. Biomed. Eng. 1985), run
//     offline with zero-phase filters; see its doc for the steps.
//   - [Compare]: beat-by-beat matching for sensitivity and positive
//     predictivity as in ANSI/AAMI EC57.
//   - [RRIntervals], [HeartRate].
//   - [QTcAll]: Bazett QT/√RR, Fridericia QT/∛RR, Hodges QT + 1.75(HR−60),
//     Framingham QT + 154(1−RR), RR in seconds.
//   - [Measure]: beats, HR and RR, the median beat (the file's or one
//     built by [MedianBeat]), global P/QRS/T boundaries ([Delineate]: spatial
//     velocity for the QRS, Zhang's trapezium area for T end and P), PR,
//     QRS, QT, QTc by all four formulas and the frontal axes ([Axes]). On
//     the corpus ECG it agrees with the cart within the IEC 60601-2-25
//     interval tolerances (see intervals_test.go); it has not been run on
//     the CSE data set, which yigong does not have.
//   - [Critical]: HR < 40 or > 150, QTc (Fridericia) > 500 ms, runs of
//     wide-complex tachycardia, each an [ecg.Finding] with its evidence.
//
// All functions are pure; they are safe for concurrent use.
package analysis
