package server

import ecgsvc "yigong/server/ecg"

// ECG configures the ECG intake: the upload size cap, the patient
// identifier system of carts and the watched folder (see package
// server/ecg). In YAML:
//
//	ecg:
//	  max_size: 67108864
//	  patient_id_system: "urn:oid:1.2.156.112604.1.2.3"
//	  watch:
//	    dir: /var/lib/yigong/ecg-in
//	    interval: 2s
type ECG = ecgsvc.Config
