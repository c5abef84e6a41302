from django.apps import AppConfig


class CollectionConfig(AppConfig):
    name = "piwarden.collection"
    verbose_name = "Collection"

    def ready(self):
        from piwarden.collection import services, subject_data
        from piwarden.collection.models import DeviceLink, Event
        from piwarden.consent import erasure
        from piwarden.subjects import registry

        # Events held only on a withdrawn consent go when its erasure falls due.
        erasure.register("collection", subject_data.erase_withdrawn)

        registry.register(registry.Source(
            name="collection.events", models=(Event, DeviceLink),
            categories=subject_data.CATEGORIES, export=subject_data.export,
            erase=subject_data.erase))
        for activity in services.ACTIVITIES:
            registry.register_retention(registry.Retention(
                name=f"collection.events.{activity}", activity=activity,
                due=subject_data.due_events(activity),
                expire=subject_data.expire_events(activity)))
        registry.register_retention(registry.Retention(
            name="collection.device_links", activity="device.cross_device_linking",
            due=subject_data.due_links, expire=subject_data.expire_links))
