//! The tantivy index over text content and metadata: ranked search with filters on kind,
//! tags and time range, snippets, and a rebuild from the objects.

use std::ops::{Bound, Range};
use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use tantivy::collector::TopDocs;
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, QueryParser, RangeQuery, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TEXT, Value as _,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc};

use super::error::{ArtifactError, Result};
use super::id::ArtifactId;
use super::meta::Metadata;

/// Text content beyond this many bytes is not indexed.
pub(crate) const INDEXED_TEXT_LIMIT: usize = 64 * 1024;
const WRITER_MEMORY: usize = 32 * 1024 * 1024;

/// A search: free text plus filters.
///
/// ```
/// use symphony_pit::artifacts::SearchQuery;
/// let q = SearchQuery::text("borrow checker").kind("response").tag("rust").since_ms(0).limit(5);
/// assert_eq!(q.limit, 5);
/// ```
#[derive(Debug, Clone)]
pub struct SearchQuery {
    /// Words to look for in content, name and producer (tantivy query syntax, lenient);
    /// empty matches everything that passes the filters.
    pub text: String,
    /// Only this kind.
    pub kind: Option<String>,
    /// Only artifacts carrying all these tags.
    pub tags: Vec<String>,
    /// Created at or after (ms since the epoch).
    pub since_ms: Option<i64>,
    /// Created before (ms since the epoch).
    pub until_ms: Option<i64>,
    /// Most hits returned.
    pub limit: usize,
}

impl SearchQuery {
    /// A text query with no filter, 10 hits.
    pub fn text(t: impl Into<String>) -> Self {
        Self {
            text: t.into(),
            kind: None,
            tags: Vec::new(),
            since_ms: None,
            until_ms: None,
            limit: 10,
        }
    }

    /// Filters on kind.
    pub fn kind(mut self, k: impl Into<String>) -> Self {
        self.kind = Some(k.into());
        self
    }

    /// Requires a tag.
    pub fn tag(mut self, t: impl Into<String>) -> Self {
        self.tags.push(t.into());
        self
    }

    /// Created at or after `ms`.
    pub fn since_ms(mut self, ms: i64) -> Self {
        self.since_ms = Some(ms);
        self
    }

    /// Created before `ms`.
    pub fn until_ms(mut self, ms: i64) -> Self {
        self.until_ms = Some(ms);
        self
    }

    /// Sets the number of hits.
    pub fn limit(mut self, n: usize) -> Self {
        self.limit = n;
        self
    }
}

/// One search result.
#[derive(Debug, Clone)]
pub struct SearchHit {
    /// The artifact.
    pub id: ArtifactId,
    /// Relevance (higher is better).
    pub score: f32,
    /// A fragment of the content around the matched words.
    pub snippet: String,
    /// Byte ranges of the matched words inside `snippet`.
    pub highlights: Vec<Range<usize>>,
}

struct Fields {
    id: Field,
    kind: Field,
    tags: Field,
    created: Field,
    content: Field,
    meta_text: Field,
}

pub(crate) struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    dirty: Mutex<bool>,
    f: Fields,
    /// Where it lives (its files are made private after each commit).
    dir: PathBuf,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let f = Fields {
        id: b.add_text_field("id", STRING | STORED),
        kind: b.add_text_field("kind", STRING),
        tags: b.add_text_field("tag", STRING),
        created: b.add_i64_field("created", INDEXED | FAST),
        content: b.add_text_field("content", TEXT | STORED),
        meta_text: b.add_text_field("meta", TEXT),
    };
    (b.build(), f)
}

impl SearchIndex {
    /// Opens the index in `dir`; `Ok(None)` when it is missing or unreadable (rebuild it).
    pub fn open(dir: &Path) -> Option<Self> {
        let (schema, f) = schema();
        let index = Index::open_in_dir(dir).ok()?;
        if index.schema() != schema {
            return None;
        }
        Self::wrap(index, f, dir).ok()
    }

    /// Creates an empty index in `dir` (removing what was there).
    pub fn create(dir: &Path) -> Result<Self> {
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(ArtifactError::io(dir))?;
        }
        super::private::create_dir_all(dir).map_err(ArtifactError::io(dir))?;
        let (schema, f) = schema();
        let index = Index::create_in_dir(dir, schema)?;
        Self::wrap(index, f, dir)
    }

    fn wrap(index: Index, f: Fields, dir: &Path) -> Result<Self> {
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY)?;
        Ok(Self {
            index,
            reader,
            writer: Mutex::new(writer),
            dirty: Mutex::new(false),
            f,
            dir: dir.to_owned(),
        })
        .inspect(|ix| ix.make_private())
    }

    /// tantivy writes its files with the default modes: inside the 0700 index
    /// directory they are out of reach already; they are made 0600 too.
    fn make_private(&self) {
        if let Err(e) = super::private::restrict_tree(&self.dir) {
            tracing::warn!(dir = %self.dir.display(), error = %e, "index not made private");
        }
    }

    /// Number of documents visible to searches.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Adds (or replaces) the document of `meta` with `text` as its content.
    pub fn upsert(&self, meta: &Metadata, name: Option<&str>, text: &str) -> Result<()> {
        let f = &self.f;
        let id = meta.id.to_hex();
        let mut d = doc!(
            f.id => id.clone(),
            f.kind => meta.kind.clone(),
            f.created => meta.created_ms,
            f.content => text,
        );
        for t in &meta.tags {
            d.add_text(f.tags, t);
        }
        let mut mt = format!("{} {} {}", meta.kind, meta.media_type, meta.tags.join(" "));
        for p in [
            &meta.producer.workflow,
            &meta.producer.node,
            &meta.producer.instrument,
        ]
        .into_iter()
        .flatten()
        {
            mt.push(' ');
            mt.push_str(p);
        }
        if let Some(n) = name {
            mt.push(' ');
            mt.push_str(n);
        }
        d.add_text(f.meta_text, &mt);
        let w = self.writer.lock();
        w.delete_term(Term::from_field_text(f.id, &id));
        w.add_document(d)?;
        *self.dirty.lock() = true;
        Ok(())
    }

    /// Removes the document of `id`.
    pub fn remove(&self, id: &ArtifactId) {
        self.writer
            .lock()
            .delete_term(Term::from_field_text(self.f.id, &id.to_hex()));
        *self.dirty.lock() = true;
    }

    /// Makes pending changes durable and visible.
    pub fn commit(&self) -> Result<()> {
        let mut dirty = self.dirty.lock();
        if *dirty {
            self.writer.lock().commit()?;
            self.reader.reload()?;
            *dirty = false;
            self.make_private();
        }
        Ok(())
    }

    pub fn search(&self, q: &SearchQuery) -> Result<Vec<SearchHit>> {
        self.commit()?;
        let f = &self.f;
        let searcher = self.reader.searcher();
        let text_query: Box<dyn Query> = if q.text.trim().is_empty() {
            Box::new(AllQuery)
        } else {
            let parser = QueryParser::for_index(&self.index, vec![f.content, f.meta_text]);
            parser.parse_query_lenient(&q.text).0
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text_query.box_clone())];
        if let Some(k) = &q.kind {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.kind, k),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        for t in &q.tags {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.tags, t),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        if q.since_ms.is_some() || q.until_ms.is_some() {
            let lo = q.since_ms.map_or(Bound::Unbounded, |v| {
                Bound::Included(Term::from_field_i64(f.created, v))
            });
            let hi = q.until_ms.map_or(Bound::Unbounded, |v| {
                Bound::Excluded(Term::from_field_i64(f.created, v))
            });
            clauses.push((Occur::Must, Box::new(RangeQuery::new(lo, hi))));
        }
        let query = BooleanQuery::new(clauses);
        let top = searcher.search(
            &query,
            &TopDocs::with_limit(q.limit.max(1)).order_by_score(),
        )?;
        let snippets = SnippetGenerator::create(&searcher, &*text_query, f.content)?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let d: TantivyDocument = searcher.doc(addr)?;
            let Some(id) = d
                .get_first(f.id)
                .and_then(|v| v.as_str())
                .and_then(|s| s.parse().ok())
            else {
                continue;
            };
            let s = snippets.snippet_from_doc(&d);
            hits.push(SearchHit {
                id,
                score,
                snippet: s.fragment().to_owned(),
                highlights: s.highlighted().to_vec(),
            });
        }
        Ok(hits)
    }
}
