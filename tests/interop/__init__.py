"""`make interop`: pseudocal against DAViCal and Cyrus on loopback (see run.sh)."""
