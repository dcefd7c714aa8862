-- pgbench reference of GET /v1/me: the simplest SQL a person would write, the user's organizations with the role
-- held in each; a random one of the benchmark's users. Variables (-D): users.
\set u random(1, :users)
select o.*, m.role
from organization_members m join organizations o on o.id = m.organization_id
where m.user_id = 'bench-user-' || lpad(:u::text, 2, '0');
