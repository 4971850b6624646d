/**
 * The terminal's short role names: the built-in ones, initials for a custom catalog's roles (made
 * unique), and for a merged catalog's product-qualified roles the role's short name and the
 * product's tag (`--product ocs2007r2,teams` read FESO2R, LBFFES, … before: UC scenario tester).
 */
import { describe, expect, it } from "vitest";
import { RoleAbbreviations } from "../src/report/role-abbrev.js";

describe("RoleAbbreviations", () => {
  it("names built-in roles, custom ones by initials made unique, and qualified ones by role and product", () => {
    const a = new RoleAbbreviations();
    expect(
      a.list([
        "Front End Servers",
        "Front End Servers (OCS 2007 R2)",
        "Load balancer for Edge Servers (OCS 2007 R2)",
        "Microsoft 365 media relays (Teams)",
        "Mediation Server (SfB 2019)",
        "Voice Gateway",
        "Video Gateway",
        "Front End Server load balancer (if the pool also runs Mediation Server)",
      ]),
    ).toBe("FE,FE.ocs,LB-Edge.ocs,M3MR.teams,Med.sfb19,VG,VG2,FESLBI");
    expect(a.legend()[1]).toEqual(["FE.ocs", "Front End Servers (OCS 2007 R2)"]);
  });

  it("numbers a qualified name on the role's part, before the product's tag (not 'AS.sfb152')", () => {
    const a = new RoleAbbreviations();
    expect(
      a.list(["Application Server (SfB 2015)", "Access Service (SfB 2015)", "Audio Service (SfB 2015)"]),
    ).toBe("AS.sfb15,AS2.sfb15,AS3.sfb15");
  });
});
