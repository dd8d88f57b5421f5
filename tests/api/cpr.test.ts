import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ageOn, centuryYear, CprError, normalizeCpr, parseCpr } from "../../api/cpr.ts";

const CPR_SHAPED = /\d{6}-?\d{4}/;

describe("centuryYear: the CPR office's table", () => {
  // Each row: [7th digit, YY, expected year], taken from the CPR office's century table.
  const table: Array<[number, number, number]> = [
    [0, 0, 1900], [0, 99, 1999], [1, 50, 1950], [2, 36, 1936], [3, 85, 1985],
    [4, 0, 2000], [4, 36, 2036], [4, 37, 1937], [4, 99, 1999],
    [5, 0, 2000], [5, 57, 2057], [5, 58, 1858], [5, 99, 1899],
    [6, 20, 2020], [7, 57, 2057], [8, 58, 1858], [8, 80, 1880],
    [9, 0, 2000], [9, 36, 2036], [9, 37, 1937], [9, 99, 1999],
  ];
  it.each(table)("7th digit %i, YY %i -> %i", (digit, yy, year) => {
    expect(centuryYear(yy, digit)).toBe(year);
  });
});

describe("parseCpr", () => {
  it("accepts both forms and normalizes to ten digits", () => {
    const a = parseCpr("010203-4005");
    const b = parseCpr("0102034005");
    const c = parseCpr("  0102034005\n");
    for (const r of [a, b, c]) {
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.cpr).toEqual({ normalized: "0102034005", birthDate: "2003-02-01", sex: "male" });
    }
  });

  it("takes the century from the 7th digit", () => {
    const born = (s: string) => {
      const r = parseCpr(s);
      if (!r.ok) throw r.error;
      return r.cpr.birthDate;
    };
    expect(born("150385-1234")).toBe("1985-03-15");
    expect(born("150312-4234")).toBe("2012-03-15");
    expect(born("150312-9234")).toBe("2012-03-15");
    expect(born("150360-4234")).toBe("1960-03-15");
    expect(born("150375-5234")).toBe("1875-03-15");
    expect(born("150350-5234")).toBe("2050-03-15");
  });

  it("does not require modulus 11", () => {
    // 010101-0001: weights 4,3,2,7,6,5,4,3,2,1 -> 0+4+0+7+0+5+0+0+0+1 = 17, not divisible by 11.
    const r = parseCpr("010101-0001");
    expect(r.ok).toBe(true);
  });

  it("gives the legal sex from the last digit", () => {
    const r = parseCpr("010101-0002");
    expect(r.ok && r.cpr.sex).toBe("female");
  });

  it("checks leap years with the right century", () => {
    expect(parseCpr("290200-4000").ok).toBe(true); // 2000 is a leap year
    expect(parseCpr("290200-5000").ok).toBe(true); // 2000 again (5-8, 00-57)
    expect(parseCpr("290200-1000").ok).toBe(false); // 1900 is not a leap year
    expect(parseCpr("290296-1000").ok).toBe(true); // 1996
    expect(parseCpr("290297-1000").ok).toBe(false);
  });

  it("knows 1860 is a leap year and 1900 is not (18xx from digits 5-8)", () => {
    expect(parseCpr("290260-5000").ok).toBe(true); // 1860 is divisible by 4 and not by 100
    expect(parseCpr("290200-0000").ok).toBe(false); // 1900
  });

  it.each([
    ["320101-1234", "cpr_date"], ["000101-1234", "cpr_date"], ["011301-1234", "cpr_date"],
    ["010001-1234", "cpr_date"], ["310401-1234", "cpr_date"],
    ["0101011234 5", "cpr_format"], ["010101 1234", "cpr_format"], ["010101--1234", "cpr_format"],
    ["01010-11234", "cpr_format"], ["010101-123", "cpr_format"], ["", "cpr_format"],
    ["０１０１０１１２３４", "cpr_format"], ["abcdef-ghij", "cpr_format"], ["010101–1234", "cpr_format"],
  ])("refuses %j with %s", (input, code) => {
    const r = parseCpr(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe(code);
  });

  it("refuses non-strings", () => {
    for (const input of [1010101234, null, undefined, {}, ["0101011234"]]) {
      const r = parseCpr(input);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe("cpr_type");
    }
  });

  it("refuses a date of birth after `today` when given", () => {
    const today = new Date("2026-11-23T08:00:00Z");
    expect(parseCpr("241126-4000", { today }).ok).toBe(false);
    expect(parseCpr("231126-4000", { today }).ok).toBe(true);
    expect(parseCpr("241126-4000").ok).toBe(true);
  });

  it("error messages are bilingual and never contain any part of the input", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\s?\d{6}-?\d{3,5}\s?$/), (input) => {
        const r = parseCpr(input);
        if (r.ok) return;
        expect(r.error).toBeInstanceOf(CprError);
        expect(r.error.message).toContain(" / ");
        expect(r.error.message).not.toMatch(/\d/);
        expect(r.error.message).not.toMatch(CPR_SHAPED);
      }),
      { seed: 20261123, numRuns: 2000 },
    );
  });

  it("every valid ten-digit input normalizes to itself and round-trips through the dashed form", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{10}$/), (digits) => {
        const r = parseCpr(digits);
        if (!r.ok) return;
        expect(r.cpr.normalized).toBe(digits);
        expect(normalizeCpr(`${digits.slice(0, 6)}-${digits.slice(6)}`)).toBe(digits);
        expect(r.cpr.birthDate.slice(8, 10)).toBe(digits.slice(0, 2));
        expect(r.cpr.birthDate.slice(5, 7)).toBe(digits.slice(2, 4));
        expect(r.cpr.birthDate.slice(2, 4)).toBe(digits.slice(4, 6));
      }),
      { seed: 42, numRuns: 2000 },
    );
  });
});

describe("normalizeCpr", () => {
  it("throws a CprError without the number in the message", () => {
    try {
      normalizeCpr("310299-1234");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CprError);
      expect((e as Error).message).not.toMatch(/\d/);
      expect((e as CprError).da).toMatch(/fødselsdato/);
      expect((e as CprError).en).toMatch(/date of birth/);
    }
  });
});

describe("ageOn", () => {
  it("counts completed years in UTC", () => {
    expect(ageOn("2000-06-15", new Date("2018-06-14T23:59:59Z"))).toBe(17);
    expect(ageOn("2000-06-15", new Date("2018-06-15T00:00:00Z"))).toBe(18);
    expect(ageOn("2000-02-29", new Date("2019-02-28T12:00:00Z"))).toBe(18);
    expect(ageOn("2000-02-29", new Date("2019-03-01T00:00:00Z"))).toBe(19);
  });
});
