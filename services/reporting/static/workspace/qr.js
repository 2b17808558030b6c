// A QR code (ISO/IEC 18004) of a short text, drawn as SVG: the second factor's setup shows the
// otpauth:// address as a code an authenticator app scans. Our own small encoder, because the
// page loads nothing from elsewhere: byte mode, error correction level M, versions 1 to 10
// (up to 213 bytes), the mask of the lowest penalty. tests/e2e/test_sign_in.py compares its
// modules with a reference encoder's.
'use strict';

(function () {
  // Level M, versions 1..10: error correction codewords per block, and blocks.
  const ECC_PER_BLOCK = [0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26];
  const BLOCKS = [0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5];
  const FORMAT_M = 0; // the two format bits of level M

  function rawModules(ver) {
    let n = (16 * ver + 128) * ver + 64;
    if (ver >= 2) {
      const align = Math.floor(ver / 7) + 2;
      n -= (25 * align - 10) * align - 55;
      if (ver >= 7) n -= 36;
    }
    return n;
  }

  function dataCodewords(ver) {
    return Math.floor(rawModules(ver) / 8) - ECC_PER_BLOCK[ver] * BLOCKS[ver];
  }

  function gfMul(x, y) {
    let z = 0;
    for (let i = 7; i >= 0; i--) {
      z = (z << 1) ^ ((z >>> 7) * 0x11d);
      z ^= ((y >>> i) & 1) * x;
    }
    return z;
  }

  function rsDivisor(degree) {
    const d = new Array(degree).fill(0);
    d[degree - 1] = 1;
    let root = 1;
    for (let i = 0; i < degree; i++) {
      for (let j = 0; j < degree; j++) {
        d[j] = gfMul(d[j], root);
        if (j + 1 < degree) d[j] ^= d[j + 1];
      }
      root = gfMul(root, 2);
    }
    return d;
  }

  function rsRemainder(data, divisor) {
    const r = divisor.map(() => 0);
    for (const b of data) {
      const factor = b ^ r.shift();
      r.push(0);
      divisor.forEach((c, i) => { r[i] ^= gfMul(c, factor); });
    }
    return r;
  }

  // The data codewords: mode, count, bytes, terminator, padding.
  function codewords(bytes, ver) {
    const bits = [];
    const put = (value, n) => { for (let i = n - 1; i >= 0; i--) bits.push((value >>> i) & 1); };
    put(4, 4);
    put(bytes.length, ver < 10 ? 8 : 16);
    bytes.forEach((b) => put(b, 8));
    const capacity = dataCodewords(ver) * 8;
    put(0, Math.min(4, capacity - bits.length));
    put(0, (8 - (bits.length % 8)) % 8);
    for (let pad = 0xec; bits.length < capacity; pad ^= 0xec ^ 0x11) put(pad, 8);
    const out = [];
    for (let i = 0; i < bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8).join(''), 2));
    return out;
  }

  // Split into blocks, add each block's error correction, interleave.
  function interleaved(data, ver) {
    const blocks = BLOCKS[ver];
    const ecc = ECC_PER_BLOCK[ver];
    const raw = Math.floor(rawModules(ver) / 8);
    const short = blocks - (raw % blocks);
    const shortLen = Math.floor(raw / blocks);
    const divisor = rsDivisor(ecc);
    const all = [];
    for (let i = 0, k = 0; i < blocks; i++) {
      const dat = data.slice(k, k + shortLen - ecc + (i < short ? 0 : 1));
      k += dat.length;
      const check = rsRemainder(dat, divisor);
      if (i < short) dat.push(0);
      all.push(dat.concat(check));
    }
    const out = [];
    for (let i = 0; i < all[0].length; i++) {
      all.forEach((b, j) => { if (i !== shortLen - ecc || j >= short) out.push(b[i]); });
    }
    return out;
  }

  const MASKS = [
    (x, y) => (x + y) % 2 === 0,
    (x, y) => y % 2 === 0,
    (x) => x % 3 === 0,
    (x, y) => (x + y) % 3 === 0,
    (x, y) => (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0,
    (x, y) => ((x * y) % 2) + ((x * y) % 3) === 0,
    (x, y) => (((x * y) % 2) + ((x * y) % 3)) % 2 === 0,
    (x, y) => (((x + y) % 2) + ((x * y) % 3)) % 2 === 0,
  ];

  class Grid {
    constructor(ver) {
      this.ver = ver;
      this.size = ver * 4 + 17;
      this.dark = Array.from({ length: this.size }, () => new Array(this.size).fill(false));
      this.fixed = Array.from({ length: this.size }, () => new Array(this.size).fill(false));
    }

    set(x, y, dark) { this.dark[y][x] = dark; this.fixed[y][x] = true; }

    functionPatterns() {
      const n = this.size;
      for (let i = 0; i < n; i++) { this.set(6, i, i % 2 === 0); this.set(i, 6, i % 2 === 0); }
      for (const [cx, cy] of [[3, 3], [n - 4, 3], [3, n - 4]]) {
        for (let dy = -4; dy <= 4; dy++) {
          for (let dx = -4; dx <= 4; dx++) {
            const d = Math.max(Math.abs(dx), Math.abs(dy));
            const x = cx + dx;
            const y = cy + dy;
            if (x >= 0 && x < n && y >= 0 && y < n) this.set(x, y, d !== 2 && d !== 4);
          }
        }
      }
      const at = this.alignments();
      const last = at.length - 1;
      at.forEach((ax, i) => at.forEach((ay, j) => {
        if ((i === 0 && j === 0) || (i === 0 && j === last) || (i === last && j === 0)) return;
        for (let dy = -2; dy <= 2; dy++) {
          for (let dx = -2; dx <= 2; dx++) this.set(ax + dx, ay + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
        }
      }));
      this.format(0);
      if (this.ver >= 7) {
        let rem = this.ver;
        for (let i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
        const bits = (this.ver << 12) | rem;
        for (let i = 0; i < 18; i++) {
          const dark = ((bits >>> i) & 1) === 1;
          const a = n - 11 + (i % 3);
          const b = Math.floor(i / 3);
          this.set(a, b, dark);
          this.set(b, a, dark);
        }
      }
    }

    alignments() {
      if (this.ver === 1) return [];
      const count = Math.floor(this.ver / 7) + 2;
      const step = Math.ceil((this.ver * 4 + 4) / (count * 2 - 2)) * 2;
      const at = [6];
      for (let p = this.size - 7; at.length < count; p -= step) at.splice(1, 0, p);
      return at;
    }

    format(mask) {
      const data = (FORMAT_M << 3) | mask;
      let rem = data;
      for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
      const bits = ((data << 10) | rem) ^ 0x5412;
      const bit = (i) => ((bits >>> i) & 1) === 1;
      const n = this.size;
      for (let i = 0; i <= 5; i++) this.set(8, i, bit(i));
      this.set(8, 7, bit(6));
      this.set(8, 8, bit(7));
      this.set(7, 8, bit(8));
      for (let i = 9; i < 15; i++) this.set(14 - i, 8, bit(i));
      for (let i = 0; i < 8; i++) this.set(n - 1 - i, 8, bit(i));
      for (let i = 8; i < 15; i++) this.set(8, n - 15 + i, bit(i));
      this.set(8, n - 8, true);
    }

    place(data) {
      const n = this.size;
      let i = 0;
      for (let right = n - 1; right >= 1; right -= 2) {
        if (right === 6) right = 5;
        for (let v = 0; v < n; v++) {
          for (let j = 0; j < 2; j++) {
            const x = right - j;
            const y = ((right + 1) & 2) === 0 ? n - 1 - v : v;
            if (!this.fixed[y][x] && i < data.length * 8) {
              this.dark[y][x] = ((data[i >>> 3] >>> (7 - (i & 7))) & 1) === 1;
              i++;
            }
          }
        }
      }
    }

    mask(k) {
      for (let y = 0; y < this.size; y++) {
        for (let x = 0; x < this.size; x++) if (!this.fixed[y][x] && MASKS[k](x, y)) this.dark[y][x] = !this.dark[y][x];
      }
    }

    // The standard's penalty: runs of five or more, 2×2 blocks, finder-like runs, balance.
    penalty() {
      const n = this.size;
      let score = 0;
      const line = (get) => {
        let color = false;
        let run = 0;
        const history = [0, 0, 0, 0, 0, 0, 0];
        const push = (length) => {
          history.pop();
          history.unshift(history[0] === 0 ? length + n : length);
        };
        const finders = () => {
          const m = history[1];
          const core = m > 0 && history[2] === m && history[3] === m * 3 && history[4] === m && history[5] === m;
          return (core && history[0] >= m * 4 && history[6] >= m ? 1 : 0) + (core && history[6] >= m * 4 && history[0] >= m ? 1 : 0);
        };
        for (let i = 0; i < n; i++) {
          if (get(i) === color) {
            run++;
            if (run === 5) score += 3;
            else if (run > 5) score++;
          } else {
            push(run);
            if (!color) score += finders() * 40;
            color = get(i);
            run = 1;
          }
        }
        if (color) { push(run); run = 0; }
        push(run + n);
        score += finders() * 40;
      };
      for (let y = 0; y < n; y++) line((x) => this.dark[y][x]);
      for (let x = 0; x < n; x++) line((y) => this.dark[y][x]);
      let dark = 0;
      for (let y = 0; y < n; y++) {
        for (let x = 0; x < n; x++) {
          const c = this.dark[y][x];
          if (c) dark++;
          if (x < n - 1 && y < n - 1 && c === this.dark[y][x + 1] && c === this.dark[y + 1][x] && c === this.dark[y + 1][x + 1]) score += 3;
        }
      }
      score += (Math.ceil(Math.abs(dark * 20 - n * n * 10) / (n * n)) - 1) * 10;
      return score;
    }
  }

  // The modules of `text`'s QR code: rows of booleans (true = dark); `mask` forces one.
  function encode(text, mask) {
    const bytes = [...new TextEncoder().encode(text)];
    let ver = 1;
    while (ver <= 10 && 4 + (ver < 10 ? 8 : 16) + bytes.length * 8 > dataCodewords(ver) * 8) ver++;
    if (ver > 10) throw new Error('text too long for a QR code of version 10');
    const grid = new Grid(ver);
    grid.functionPatterns();
    grid.place(interleaved(codewords(bytes, ver), ver));
    let best = mask;
    if (best === undefined) {
      let lowest = Infinity;
      for (let k = 0; k < 8; k++) {
        grid.mask(k);
        grid.format(k);
        const p = grid.penalty();
        if (p < lowest) { lowest = p; best = k; }
        grid.mask(k);
      }
    }
    grid.mask(best);
    grid.format(best);
    return grid.dark;
  }

  // An SVG of the code, with the four-module quiet zone the standard asks for.
  function svg(text, title) {
    const NS = 'http://www.w3.org/2000/svg';
    const rows = encode(text);
    const n = rows.length + 8;
    let d = '';
    rows.forEach((row, y) => row.forEach((dark, x) => { if (dark) d += `M${x + 4} ${y + 4}h1v1h-1z`; }));
    const root = document.createElementNS(NS, 'svg');
    root.setAttribute('viewBox', `0 0 ${n} ${n}`);
    root.setAttribute('class', 'qr');
    root.setAttribute('role', 'img');
    root.setAttribute('aria-label', title);
    root.setAttribute('shape-rendering', 'crispEdges');
    const bg = document.createElementNS(NS, 'rect');
    bg.setAttribute('width', n);
    bg.setAttribute('height', n);
    bg.setAttribute('fill', '#fff');
    const path = document.createElementNS(NS, 'path');
    path.setAttribute('d', d);
    path.setAttribute('fill', '#000');
    root.append(bg, path);
    return root;
  }

  window.QrCode = { encode, svg };
})();
