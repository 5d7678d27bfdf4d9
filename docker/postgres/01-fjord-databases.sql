-- Run once by the postgres image on a new data volume (/docker-entrypoint-initdb.d), as
-- POSTGRES_USER: one database per project, as OpenStack gives nova, cinder and ceilometer theirs.
-- The apps apply their own migrations at start.
CREATE DATABASE fjord_compute;   -- nova: the api and the compute hosts
CREATE DATABASE fjord_volume;    -- cinder
CREATE DATABASE fjord_metering;  -- ceilometer
CREATE DATABASE fjord_identity;  -- keystone (profile identity)
