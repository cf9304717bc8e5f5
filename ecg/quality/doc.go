// Package quality checks the technical quality of an ECG record: lead off
// or flat line, saturation (clipping), mains interference, muscle noise,
// baseline wander, and electrode reversals (LA/RA, LA/LL, RA/LL and
// precordial order). Every problem is an [ecg.Finding] carrying its
// evidence: the lead, the time range and the metric with its limit.
//
// # Methods
//
// Noise is judged on 10 s segments (the whole record when shorter) from the
// power spectrum (a radix-2 FFT of the Hann-windowed segment), as the
// spectral signal-quality indices of Clifford et al., "Signal quality
// indices and data fusion for determining clinical acceptability of
// electrocardiograms", Physiol. Meas. 33(9), 2012, and Li, Clark and
// Clifford, "Robust heart rate estimation from multiple asynchronous noisy
// sources", Physiol. Meas. 29, 2008:
//
//   - mains: power within ±0.5 Hz of 50 Hz (and of 60 Hz) over the power
//     in 0.5–40 Hz;
//   - muscle: power above 40 Hz (mains bands excluded) over 0.5–40 Hz;
//   - wander: power below 0.5 Hz over 0.5–40 Hz (the complement of
//     Clifford's basSQI).
//
// Flat line and saturation are time-domain: a lead whose peak-to-peak
// amplitude stays under 20 µV for at least 1 s is flat (lead off, cable
// fault); a lead that stays at its extreme value for runs of at least 20 ms
// covering at least 1% of the record is clipped.
//
// Reversals use the criteria reviewed by Batchvarov, Malik and Camm,
// "Incorrect electrode cable connection during electrocardiographic
// recording", Europace 9, 2007, applied to the median beat's net P and QRS
// areas, with several criteria required together so as to favour
// specificity (a false alarm makes a technician repeat a good ECG):
//
//   - Limb swaps (LA/RA, LA/LL, RA/LL): each swap is undone in turn on the
//     median beat and the result scored by how well lead I correlates with
//     V6 over QRS and T (both face the left ventricle; the basis of the
//     lead-correlation detectors of Kors and van Herpen, Am J Cardiol 88,
//     2001, and Hedén et al., Am J Cardiol 75, 1995) plus how sinus-like the
//     P waves are (positive in I and II, negative in aVR: Batchvarov's
//     criteria for LA/RA and RA/LL). A swap is reported only when undoing
//     it gains more than 0.6 and raises the I–V6 correlation; when the P
//     waves do not change (LA/LL), the correlation must rise from under 0.3
//     to over 0.7. Only the best-scoring swap is reported.
//   - Precordial order: swapping two adjacent precordial leads raises the
//     mean correlation of neighbouring QRS complexes by more than 0.25
//     (neighbouring precordial leads look alike; Kors and van Herpen 2001).
//
// Check is pure and safe for concurrent use.
package quality
