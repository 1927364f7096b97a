import { describe, expect, it } from 'vitest';
import { readGolden, renderGolden } from '../src/render/golden';

describe('the golden files of the sample issue', () => {
  it('the sample renders exactly to test/golden/ml-utd-32.html and .txt (regenerate with npm run golden:update)', async () => {
    const [rendered, golden] = await Promise.all([renderGolden(), readGolden()]);
    expect(rendered.html).toBe(golden.html);
    expect(rendered.text).toBe(golden.text);
  });

  it('the golden text is readable: headings on lines of their own, link URLs listed, no HTML', async () => {
    const { text } = await readGolden();
    expect(text).toMatch(/^应用程序$/m);
    expect(text).toMatch(/^OpenLineage 简介$/m);
    expect(text).toContain('OpenLineage Github [https://github.com/OpenLineage/OpenLineage]');
    expect(text).not.toMatch(/<\/?[a-z]+[ >]/);
    expect(text).not.toContain('&amp;');
  });
});
