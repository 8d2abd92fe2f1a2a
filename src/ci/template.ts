import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {isScalar, parseDocument, type Document, type YAMLMap} from 'yaml'

/** A template of templates/, without its opening comment (which explains the template itself). */
export async function loadTemplate(templates: string, name: string): Promise<Document> {
  const text = await readFile(join(templates, name), 'utf8')
  return parseDocument(text.replace(/^(#[^\n]*\n)+\n/, ''))
}

/** One blank line before each entry of `map` but the first, as a person would lay it out. */
export function spaceEntries(map: YAMLMap): void {
  map.items.forEach((pair, index) => {
    if (isScalar(pair.key)) pair.key.spaceBefore = index > 0
  })
}

/**
 * Renders with the generated-file header; no line folding, `[a, b]` flow lists, and two spaces
 * before an end-of-line comment (yamllint's rule; `yaml` writes one) after a plain value.
 */
export function render(doc: Document, header: string): string {
  const text = doc.toString({lineWidth: 0, flowCollectionPadding: false})
  return header + text.replace(/^(\s*(?:- )?[\w-]+: [^'"#\n]*[^\s'"#]) #(?= )/gm, '$1  #')
}
