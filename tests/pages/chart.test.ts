import { describe, expect, it } from "vitest";
import { EnrollmentChart } from "../../api/pages/trial.tsx";
import { protocolsFromFolder } from "../../api/protocol-source-node.ts";

const ips = protocolsFromFolder().get("ips-severe-mental-illness")!.protocol;

describe("the enrollment chart", () => {
  const points = [
    { site: "101", arm: "ips", enrolled_at: "2026-03-02T09:00:00.000Z" },
    { site: "101", arm: "usual", enrolled_at: "2026-03-03T09:00:00.000Z" },
    { site: "101", arm: "ips", enrolled_at: "2026-03-11T09:00:00.000Z" },
    { site: "751", arm: "ips_e", enrolled_at: "2026-03-06T09:00:00.000Z" },
  ];
  const render = () => String(EnrollmentChart({ protocol: ips, points, sites: ["101", "751"] }));

  it("draws one panel per site and a cumulative step line per arm with anyone enrolled, on shared axes", () => {
    const svg = render();
    expect([...svg.matchAll(/<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/g)]).toHaveLength(2);
    const paths = [...svg.matchAll(/<path d="([^"]+)" fill="none" stroke="([^"]+)" stroke-width="2" data-arm="([^"]+)"/g)].map((m) => ({ d: m[1], arm: m[3] }));
    expect(paths.map((p) => p.arm)).toEqual(["ips", "usual", "ips_e"]);
    // Ten days from 2026-03-02 to 2026-03-11 (the axis ends a day after the last enrollment):
    // x = 34 + (day / 10) * 238; y = 108 - (n / 2) * 86 with the shared maximum of 2 (København, IPS).
    expect(paths[0].d).toBe("M34,108H34V65H248.2V22H272");
    expect(paths[2].d).toBe("M34,108H129.2V65H272");
    expect(svg).toContain(">2026-03-02</text>");
    expect(svg).toContain(">2026-03-11</text>");
    expect(svg).toContain('aria-label="Indskrevne over tid, København / Enrolled over time, København"');
  });

  it("is the same for the same input, and empty without enrollments", () => {
    expect(render()).toBe(render());
    expect(EnrollmentChart({ protocol: ips, points: [], sites: ["101"] })).toBeNull();
  });
});
