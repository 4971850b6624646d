/**
 * flow/media-worked.ts: the sockets whose media worked, exactly (no two sockets share an
 * answer), by transport, within a slot either side, and bounded so that what is dropped can
 * only leave an ICE check blamed.
 */
import { describe, expect, it } from "vitest";
import { MAX_SOCKETS, MediaWorked, SLOT_MICROS } from "../src/flow/media-worked.js";

const T = 1_700_000_000_000_000;
const v4 = (a: number) => [0, 0, 0, a | 0];

describe("MediaWorked", () => {
  it("answers for the exact socket, its transport, and a slot either side", () => {
    const m = new MediaWorked();
    const addr = (203 << 24) | (113 << 8) | 9; // above 127.255.255.255: negative as an int32
    m.mark(4, v4(addr), 0, 50000, false, T);
    expect(m.near(4, v4(addr), 50000, false, T + SLOT_MICROS)).toBe(true);
    expect(m.near(4, v4(addr), 50000, false, T - SLOT_MICROS)).toBe(true);
    expect(m.near(4, v4(addr), 50000, false, T + 2 * SLOT_MICROS + SLOT_MICROS)).toBe(false);
    expect(m.near(4, v4(addr), 50000, true, T)).toBe(false);
    expect(m.near(4, v4(addr), 50001, false, T)).toBe(false);
    expect(m.near(4, v4(addr ^ 1), 50000, false, T)).toBe(false);
    const six = [0x20010db8, 0, 0, 0x75];
    m.mark(6, six, 0, 52050, false, T);
    expect(m.near(6, six, 52050, false, T)).toBe(true);
    expect(m.near(6, [0x20010db8, 0, 0, 0x76], 52050, false, T)).toBe(false);
    expect(m.near(4, [0, 0, 0, 0x75], 52050, false, T)).toBe(false);
  });

  it("grows a run by marks a slot apart, and replaces it by a far one", () => {
    const m = new MediaWorked();
    for (let s = 0; s < 5; s++) m.mark(4, v4(7), 0, 4000, false, T + s * SLOT_MICROS);
    expect(m.near(4, v4(7), 4000, false, T + 2 * SLOT_MICROS)).toBe(true);
    m.mark(4, v4(7), 0, 4000, false, T + 100 * SLOT_MICROS);
    expect(m.near(4, v4(7), 4000, false, T)).toBe(false);
    expect(m.near(4, v4(7), 4000, false, T + 100 * SLOT_MICROS)).toBe(true);
  });

  it("keeps every one of its sockets apart, and none past its bound", () => {
    const m = new MediaWorked();
    for (let i = 0; i < MAX_SOCKETS; i++) m.mark(4, v4(0x0a000000 + i), 0, 50000 + (i & 7), false, T);
    for (let i = 0; i < MAX_SOCKETS; i += 997) {
      expect(m.near(4, v4(0x0a000000 + i), 50000 + (i & 7), false, T)).toBe(true);
      expect(m.near(4, v4(0x0a000000 + i), 50000 + ((i + 1) & 7), false, T)).toBe(false);
    }
    m.mark(4, v4(0x0b000000), 0, 50000, false, T);
    expect(m.near(4, v4(0x0b000000), 50000, false, T)).toBe(false);
    m.clear();
    expect(m.near(4, v4(0x0a000000), 50000, false, T)).toBe(false);
  });
});
