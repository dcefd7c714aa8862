-- A workspace of this cell may belong to an organization homed in another cell. Its foreign key needs a local row
-- for that organization: a reference row, which only names it (the home cell keeps its members and its events).
alter table organizations add column reference boolean not null default false;

-- Slugs stay unique among this cell's own organizations. A reference carries its home cell's slug, which may equal
-- a local one, or one another reference held before a rename at home.
alter table organizations drop constraint organizations_slug_key;
create unique index organizations_slug_key on organizations (slug) where not reference;
