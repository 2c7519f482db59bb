package validate

import (
	"bytes"
	"testing"

	"github.com/deploytrail/deploytrail/internal/digest"
)

// reseal rewrites digest i after change, signed with key, keeping its key.
func (f *fixture) reseal(i int, key *digest.KeyPair, change func(d *digest.Digest)) {
	d := f.digests[i].Digest
	change(&d)
	s, err := digest.Seal(key, &d)
	if err != nil {
		f.tb.Fatal(err)
	}
	f.put(f.digestKey(i), s.Body, s.Metadata())
}

func TestRun_DigestTampering(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(f *fixture)
		check  func(t *testing.T, f *fixture, rep *Report)
	}{
		{"ModifiedKeepingMetadata", func(f *fixture) {
			obj := f.get(f.digestKey(2))
			d, raw, _ := digest.Parse(obj.Body)
			d.LogFiles = d.LogFiles[:1]
			raw2, _ := digest.Marshal(d)
			if bytes.Equal(raw, raw2) {
				f.tb.Fatal("no change")
			}
			f.put(f.digestKey(2), digest.Gzip(raw2), obj.Metadata)
		}, func(t *testing.T, f *fixture, rep *Report) {
			expect(t, rep, KindDigest, f.digestKey(2), StatusModified, "hash doesn't match previousDigestHashValue")
			expect(t, rep, KindDigest, f.digestKey(2), StatusModified, "signature verification failed")
			expect(t, rep, KindLog, f.logs[2][1], StatusUnreferenced, "not referenced")
		}},
		{"NewestModified", func(f *fixture) {
			obj := f.get(f.digestKey(4))
			d, _, _ := digest.Parse(obj.Body)
			d.AccountID = "999988887777"
			raw, _ := digest.Marshal(d)
			f.put(f.digestKey(4), digest.Gzip(raw), obj.Metadata)
		}, func(t *testing.T, f *fixture, rep *Report) {
			expect(t, rep, KindDigest, f.digestKey(4), StatusModified, "awsAccountId")
		}},
		{"ResignedByAttacker", func(f *fixture) {
			f.reseal(4, attackerKey(), func(d *digest.Digest) { d.LogFiles = nil })
		}, func(t *testing.T, f *fixture, rep *Report) {
			expect(t, rep, KindDigest, f.digestKey(4), StatusInvalidSignature, "public key not found in region us-east-1 for fingerprint "+attackerKey().Fingerprint())
		}},
		{"WrongFingerprint", func(f *fixture) {
			obj := f.get(f.digestKey(4))
			d, _, _ := digest.Parse(obj.Body)
			d.PublicKeyFingerprint = attackerKey().Fingerprint()
			raw, _ := digest.Marshal(d)
			f.put(f.digestKey(4), digest.Gzip(raw), obj.Metadata)
		}, func(t *testing.T, f *fixture, rep *Report) {
			expect(t, rep, KindDigest, f.digestKey(4), StatusInvalidSignature, "public key not found")
		}},
		{"ForgedSignature", func(f *fixture) {
			obj := f.get(f.digestKey(2))
			sig := []byte(obj.Metadata["signature"])
			if sig[len(sig)-1] == '0' {
				sig[len(sig)-1] = '1'
			} else {
				sig[len(sig)-1] = '0'
			}
			obj.Metadata["signature"] = string(sig)
			f.put(f.digestKey(2), obj.Body, obj.Metadata)
		}, func(t *testing.T, f *fixture, rep *Report) {
			expect(t, rep, KindDigest, f.digestKey(2), StatusInvalidSignature, "signature verification failed")
			// The content is attested by digest 3, so its log files are still checked.
			expect(t, rep, KindLog, f.logs[2][0], StatusValid, "")
		}},
		{"MissingSignatureMetadata", func(f *fixture) {
			f.put(f.digestKey(4), f.get(f.digestKey(4)).Body, nil)
		}, func(t *testing.T, f *fixture, rep *Report) {
			expect(t, rep, KindDigest, f.digestKey(4), StatusInvalidSignature, "no signature metadata")
		}},
		{"DeletedOne", func(f *fixture) { f.delete(f.digestKey(2)) },
			func(t *testing.T, f *fixture, rep *Report) {
				expect(t, rep, KindDigest, f.digestKey(2), StatusMissing, "not found")
				expect(t, rep, KindChain, digest.Dir("", "", testAccount, testRegion), StatusChainGap, "at least one digest")
				expect(t, rep, KindDigest, f.digestKey(1), StatusValid, "")
				expect(t, rep, KindLog, f.logs[2][0], StatusUnreferenced, "not referenced")
			}},
		{"DeletedTwoConsecutive", func(f *fixture) { f.delete(f.digestKey(2)); f.delete(f.digestKey(1)) },
			func(t *testing.T, f *fixture, rep *Report) {
				expect(t, rep, KindDigest, f.digestKey(2), StatusMissing, "not found")
				expect(t, rep, KindChain, digest.Dir("", "", testAccount, testRegion), StatusChainGap,
					"after "+f.digestKey(0))
				expect(t, rep, KindLog, f.logs[1][0], StatusUnreferenced, "not referenced")
				expect(t, rep, KindLog, f.logs[2][0], StatusUnreferenced, "not referenced")
			}},
		{"DeletedOldestInRange", func(f *fixture) { f.delete(f.digestKey(0)) },
			func(t *testing.T, f *fixture, rep *Report) {
				expect(t, rep, KindDigest, f.digestKey(0), StatusMissing, "not found")
			}},
		{"DeletedExpired", func(f *fixture) { f.delete(f.digestKey(0)); f.expired[f.digestKey(0)] = true },
			func(t *testing.T, f *fixture, rep *Report) {
				expect(t, rep, KindDigest, f.digestKey(0), StatusExpired, "lifecycle")
			}},
		{"ReplacedByOther", func(f *fixture) {
			obj := f.get(f.digestKey(1))
			f.put(f.digestKey(2), obj.Body, obj.Metadata)
		}, func(t *testing.T, f *fixture, rep *Report) {
			expect(t, rep, KindDigest, f.digestKey(2), StatusModified, "moved from its original location")
			expect(t, rep, KindDigest, f.digestKey(2), StatusModified, "hash doesn't match")
		}},
		{"Reordered", func(f *fixture) {
			a, b := f.get(f.digestKey(1)), f.get(f.digestKey(2))
			f.put(f.digestKey(1), b.Body, b.Metadata)
			f.put(f.digestKey(2), a.Body, a.Metadata)
		}, func(t *testing.T, f *fixture, rep *Report) {
			expect(t, rep, KindDigest, f.digestKey(2), StatusModified, "moved")
			expect(t, rep, KindDigest, f.digestKey(1), StatusModified, "moved")
		}},
		{"Inserted", func(f *fixture) {
			// A correctly signed digest at a key between 1 and 2 that the
			// chain does not go through (a replay, or a second writer).
			start := f.digests[1].Digest.EndTime
			f.writeDigest(9, start, start.Add(30*60e9), 1, f.digests[1].Link(), trailKey())
		}, func(t *testing.T, f *fixture, rep *Report) {
			expect(t, rep, KindDigest, f.digests[5].Digest.Object, StatusModified, "not part of the chain")
			expect(t, rep, KindDigest, f.digestKey(1), StatusValid, "")
		}},
		{"CorruptDigest", func(f *fixture) {
			obj := f.get(f.digestKey(2))
			f.put(f.digestKey(2), obj.Body[:len(obj.Body)/2], obj.Metadata)
		}, func(t *testing.T, f *fixture, rep *Report) {
			expect(t, rep, KindDigest, f.digestKey(2), StatusCorrupt, "truncated")
		}},
		{"DigestTrailingData", func(f *fixture) {
			obj := f.get(f.digestKey(3))
			f.put(f.digestKey(3), append(bytes.Clone(obj.Body), '\n'), obj.Metadata)
		}, func(t *testing.T, f *fixture, rep *Report) {
			expect(t, rep, KindDigest, f.digestKey(3), StatusCorrupt, "unexpected data after end")
		}},
		{"DigestGarbage", func(f *fixture) {
			f.put(f.digestKey(3), digest.Gzip([]byte(`{"digestEndTime":1}`)), nil)
		}, func(t *testing.T, f *fixture, rep *Report) {
			expect(t, rep, KindDigest, f.digestKey(3), StatusCorrupt, "invalid format")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, 5, 2)
			tt.tamper(f)
			rep := f.run()
			tt.check(t, f, rep)
			if rep.Summary.OK() != (tt.name == "DeletedExpired") {
				t.Fatalf("Summary.OK=%v\n%s", rep.Summary.OK(), dump(rep))
			}
		})
	}
}
