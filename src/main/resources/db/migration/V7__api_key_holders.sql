-- An API key acts with its holder's current rights: its creator, or the last user who rotated it (that user holds
-- the new secret). Added beside creator_user_id, which the previous release still reads (expand, then contract).
alter table api_keys add column holder_user_id text;
update api_keys set holder_user_id = creator_user_id;
create index api_keys_holder on api_keys (workspace_id, holder_user_id) where revoked_at is null;
