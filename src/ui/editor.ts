import { markdown } from '@codemirror/lang-markdown';
import { HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { setDiagnostics, lintGutter, type Diagnostic } from '@codemirror/lint';
import { tags } from '@lezer/highlight';
import { EditorSelection, EditorState, Prec } from '@codemirror/state';
import { keymap } from '@codemirror/view';
import { EditorView, basicSetup } from 'codemirror';

export interface Finding {
  rule: string;
  severity: 'error' | 'warning';
  message: string;
  where: string;
}

/** The line a finding points at (`issue:12` → 12), when it names one. */
export function findingLine(where: string): number | undefined {
  const m = /:(\d+)(?::\d+)?$/.exec(where);
  return m ? Number(m[1]) : undefined;
}

/** Token colours with at least 4.5:1 contrast on white (CodeMirror's defaults are lighter than WCAG AA allows). */
const readableHighlight = HighlightStyle.define([
  { tag: tags.heading, fontWeight: '700', color: '#1d3f8f' },
  { tag: [tags.emphasis], fontStyle: 'italic' },
  { tag: [tags.strong], fontWeight: '700' },
  { tag: [tags.link, tags.url], color: '#1a56b0', textDecoration: 'underline' },
  { tag: [tags.meta, tags.comment, tags.processingInstruction, tags.contentSeparator], color: '#51596b' },
  { tag: [tags.string, tags.monospace], color: '#8a3a00' },
  { tag: [tags.keyword, tags.atom, tags.bool], color: '#7b2d95' },
  { tag: [tags.quote], color: '#3d5a33' },
  { tag: [tags.list], color: '#8a1c3c' },
]);

/** Wraps the selection (or the word at the cursor's place, empty) in `before` … `after`; the selection stays on the text. */
function wrap(before: string, after: string) {
  return (view: EditorView): boolean => {
    view.dispatch(view.state.changeByRange((range) => ({
      changes: [{ from: range.from, insert: before }, { from: range.to, insert: after }],
      range: EditorSelection.range(range.from + before.length, range.to + before.length),
    })));
    return true;
  };
}

/** Markdown's everyday marks, as word processors bind them: bold, italic, link. */
const markdownKeys = Prec.high(keymap.of([
  { key: 'Mod-b', run: wrap('**', '**') },
  { key: 'Mod-i', run: wrap('*', '*') },
  { key: 'Mod-k', run: wrap('[', '](https://)') },
]));

/**
 * The composer's editor: CodeMirror 6 with Markdown highlighting, its default keymap (undo/redo, search,
 * indentation) plus Ctrl/Cmd+B, I and K for bold, italic and link, and preflight findings as diagnostics at their lines.
 */
export function createEditor(parent: HTMLElement, doc: string, options: { label: string; readOnly?: boolean; onChange: (text: string) => void; onPasteFiles: (files: File[], at: number) => void }): EditorView {
  return new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        basicSetup,
        markdown(),
        markdownKeys,
        syntaxHighlighting(readableHighlight),
        lintGutter(),
        EditorView.lineWrapping,
        // tabindex makes the text area count as focusable for its scroll region (it is, as contenteditable).
        EditorView.contentAttributes.of({ 'aria-label': options.label, tabindex: '0' }),
        EditorState.readOnly.of(Boolean(options.readOnly)),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) options.onChange(update.state.doc.toString());
        }),
        EditorView.domEventHandlers({
          paste(event, view) {
            const files = [...(event.clipboardData?.files ?? [])].filter((f) => f.type.startsWith('image/'));
            if (files.length === 0) return false;
            event.preventDefault();
            options.onPasteFiles(files, view.state.selection.main.head);
            return true;
          },
          drop(event, view) {
            const files = [...(event.dataTransfer?.files ?? [])].filter((f) => f.type.startsWith('image/'));
            if (files.length === 0) return false;
            event.preventDefault();
            const pos = view.posAtCoords({ x: event.clientX, y: event.clientY }) ?? view.state.selection.main.head;
            options.onPasteFiles(files, pos);
            return true;
          },
        }),
      ],
    }),
  });
}

export function showFindings(view: EditorView, findings: Finding[]): void {
  const doc = view.state.doc;
  const diagnostics: Diagnostic[] = findings.map((f) => {
    const line = findingLine(f.where);
    const l = line && line <= doc.lines ? doc.line(line) : doc.line(1);
    return { from: l.from, to: l.to, severity: f.severity, message: f.message, source: f.rule };
  });
  view.dispatch(setDiagnostics(view.state, diagnostics));
}

export function insertText(view: EditorView, at: number, text: string): void {
  view.dispatch({ changes: { from: at, insert: text }, selection: { anchor: at + text.length } });
}
