import { describe, expect, it } from "vitest";
import { isoWeeksInYear, parseWeekLabel, weekIndex, weekIndexOfDate, weekLabel } from "../../../api/register/iso-week.ts";

describe("ISO week index", () => {
  it("starts at Monday 1970-01-05 (1970-W02)", () => {
    expect(weekIndex(1970, 2)).toBe(0);
    expect(weekIndexOfDate("1970-01-05")).toBe(0);
    expect(weekIndexOfDate("1970-01-11")).toBe(0);
    expect(weekIndexOfDate("1970-01-12")).toBe(1);
  });

  it("knows which years have week 53", () => {
    // 2020 began on a Wednesday and was a leap year; 2015 and 2026 begin on Thursday.
    expect(isoWeeksInYear(2020)).toBe(53);
    expect(isoWeeksInYear(2015)).toBe(53);
    expect(isoWeeksInYear(2026)).toBe(53);
    expect(isoWeeksInYear(2021)).toBe(52);
    expect(isoWeeksInYear(2024)).toBe(52);
    expect(weekIndex(2021, 53)).toBeNull();
    expect(weekIndex(2021, 0)).toBeNull();
  });

  it("runs across week 53 and the year boundary without a jump", () => {
    const w53 = weekIndex(2020, 53)!;
    expect(weekIndex(2020, 52)).toBe(w53 - 1);
    expect(weekIndex(2021, 1)).toBe(w53 + 1);
    // 2020-W53 is Monday 28 December 2020 to Sunday 3 January 2021.
    expect(weekIndexOfDate("2020-12-28")).toBe(w53);
    expect(weekIndexOfDate("2021-01-03")).toBe(w53);
    expect(weekIndexOfDate("2021-01-04")).toBe(w53 + 1);
    // 1 January 2024 is a Monday, the first day of 2024-W01; 31 December 2024 is in 2025-W01.
    expect(weekLabel(weekIndexOfDate("2024-01-01"))).toBe("2024-W01");
    expect(weekLabel(weekIndexOfDate("2024-12-31"))).toBe("2025-W01");
  });

  it("parses the usual spellings and refuses weeks that do not exist", () => {
    const expected = weekIndex(2024, 7);
    for (const text of ["2024-W07", "2024W07", "2024-07", "202407", "2024w7", " 2024-W07 "]) expect(parseWeekLabel(text)).toBe(expected);
    expect(parseWeekLabel("2023-W53")).toBeNull();
    expect(parseWeekLabel("2024-W00")).toBeNull();
    expect(parseWeekLabel("24-W07")).toBeNull();
    expect(weekLabel(weekIndex(2020, 53)!)).toBe("2020-W53");
  });
});
